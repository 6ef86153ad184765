"""Contract tests for the dialect of the Go arrowhead-lite and its Python SDK.

Neither is installable from PyPI, so these tests send the request bodies of
that SDK exactly as it sends them: explicit nulls, ``endOfValidity: ""``,
``version`` as a string, a leading slash in ``serviceUri``, list calls without
paging. The calls follow its tutorial and the Go server's demo script.

Every reply is checked against the rules its pydantic models enforce: ``count``
in lists, ``authenticationInfo`` always a string, no ``null`` metadata or
authorizationTokens, no empty ``endOfValidity``, and a token under
``authorizationTokens["HTTP-SECURE-JSON"]`` for every TOKEN result.

Where that dialect conflicts with the Arrowhead 4.x contract, the 4.x meaning is
served; the conflict tests pin that choice.
"""

import time

import pytest

from tests import helpers

PROVIDER = "carprovider"
CONSUMER = "carconsumer"
SECURE_INTERFACE = "HTTP-SECURE-JSON"
WARNINGS = {
    "FROM_OTHER_CLOUD",
    "TTL_EXPIRING",
    "TTL_EXPIRED",
    "TTL_UNKNOWN",
    "VIA_GATEWAY",
}


def _sysop() -> dict:
    return helpers.caller("sysop")


def check_shape(value, path: str = "$") -> None:
    """Assert the SDK's acceptance rules on every object of a reply."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_shape(item, f"{path}[{index}]")
        return
    if not isinstance(value, dict):
        return

    if "data" in value and isinstance(value["data"], list):
        assert isinstance(value.get("count"), int), f"{path}: list without count"
    if "systemName" in value:
        info = value.get("authenticationInfo")
        assert isinstance(info, str), f"{path}.authenticationInfo is {info!r}"
    for key in ("metadata", "authorizationTokens"):
        if key in value:
            assert isinstance(value[key], dict), f"{path}.{key} is {value[key]!r}"
    if "warnings" in value:
        assert set(value["warnings"]) <= WARNINGS, f"{path}.warnings: {value}"
    assert value.get("endOfValidity", None) != "", f"{path}.endOfValidity is empty"
    for key in ("createdAt", "updatedAt"):
        if key in value:
            assert value[key], f"{path}.{key} is empty"

    for key, item in value.items():
        check_shape(item, f"{path}.{key}")


def sdk_system(name: str, port: int, key_name: str | None = None) -> dict:
    """Return the SDK's system body: a key and an empty metadata map."""
    return {
        "address": "localhost",
        "authenticationInfo": helpers.public_key_base64(key_name or name),
        "metadata": {},
        "port": port,
        "systemName": name,
    }


def sdk_service(definition: str, method: str, provider_key: str = "") -> dict:
    """Return the SDK's service registration body, nulls and strings included."""
    return {
        "endOfValidity": "",
        "interfaces": [SECURE_INTERFACE],
        "metadata": {"http-method": method},
        "providerSystem": {
            "systemName": PROVIDER,
            "address": "localhost",
            "port": 8880,
            "authenticationInfo": provider_key,
            "metadata": None,
        },
        "secure": "TOKEN",
        "serviceDefinition": definition,
        "serviceUri": "/carfactory",
        "version": "1",
    }


def sdk_orchestration(definition: str, requester: str = CONSUMER) -> dict:
    """Return the SDK's orchestration body, every flag and null included."""
    return {
        "commands": {},
        "orchestrationFlags": {
            "onlyPreferred": False,
            "overrideStore": True,
            "externalServiceRequest": False,
            "enableInterCloud": False,
            "enableQoS": False,
            "matchmaking": True,
            "metadataSearch": False,
            "triggerInterCloud": False,
            "pingProviders": False,
        },
        "preferredProviders": [],
        "qosRequirements": {},
        "requestedService": {
            "interfaceRequirements": [SECURE_INTERFACE],
            "maxVersionRequirement": None,
            "metadataRequirements": {},
            "minVersionRequirement": None,
            "pingProviders": False,
            "securityRequirements": ["TOKEN"],
            "serviceDefinitionRequirement": definition,
            "versionRequirement": None,
        },
        "requesterCloud": None,
        "requesterSystem": {
            "systemName": requester,
            "address": "localhost",
            "port": 8881,
            "authenticationInfo": None,
            "metadata": None,
        },
    }


class Sdk:
    """The SDK's management calls, in its order, through the Flask test client."""

    def __init__(self, client):
        self.client = client

    def call(self, method: str, path: str, caller: str = "sysop", **kwargs):
        response = self.client.open(
            path, method=method, environ_overrides=helpers.caller(caller), **kwargs
        )
        if response.is_json and response.data:
            check_shape(response.json)
        return response

    def register_system(self, name: str, port: int) -> dict:
        response = self.call(
            "POST", "/serviceregistry/mgmt/systems", json=sdk_system(name, port)
        )
        assert response.status_code == 201, response.json
        return response.json

    def list_systems(self) -> list[dict]:
        response = self.call(
            "GET", "/serviceregistry/mgmt/systems?direction=ASC&sort_field=id"
        )
        assert response.status_code == 200, response.json
        return response.json["data"]

    def register_service(self, definition: str, method: str) -> dict:
        self.list_systems()
        key = helpers.public_key_base64(PROVIDER)
        response = self.call(
            "POST",
            "/serviceregistry/mgmt/services",
            json=sdk_service(definition, method, key),
        )
        assert response.status_code == 201, response.json
        return response.json

    def add_rule(self, consumer_id: int, entries: list[dict]) -> dict:
        response = self.call(
            "POST",
            "/authorization/mgmt/intracloud",
            json={
                "consumerId": consumer_id,
                "providerIds": sorted({entry["provider"]["id"] for entry in entries}),
                "interfaceIds": sorted(
                    {item["id"] for entry in entries for item in entry["interfaces"]}
                ),
                "serviceDefinitionIds": sorted(
                    {entry["serviceDefinition"]["id"] for entry in entries}
                ),
            },
        )
        return response

    def orchestrate(self, definition: str, caller: str = CONSUMER):
        return self.call(
            "POST",
            "/orchestrator/orchestration",
            caller=caller,
            json=sdk_orchestration(definition),
        )


@pytest.fixture
def sdk(secure_client):
    return Sdk(secure_client)


@pytest.fixture
def tutorial(sdk):
    """Run the SDK tutorial's set-up: two systems, two services, one rule."""
    provider = sdk.register_system(PROVIDER, 8880)
    consumer = sdk.register_system(CONSUMER, 8881)
    create = sdk.register_service("create-car", "POST")
    get = sdk.register_service("get-car", "GET")
    rule = sdk.add_rule(consumer["id"], [create, get])
    return {
        "provider": provider,
        "consumer": consumer,
        "entries": [create, get],
        "rule": rule,
    }


def test_health_answers_go_dialect(sdk):
    response = sdk.client.get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "healthy"
    assert isinstance(response.json["timestamp"], int)


def test_system_registration_accepted(tutorial):
    provider = tutorial["provider"]
    assert provider["systemName"] == PROVIDER
    assert provider["authenticationInfo"] == helpers.public_key_base64(PROVIDER)
    assert provider["metadata"] == {}


def test_system_list_without_paging(sdk, tutorial):
    names = [system["systemName"] for system in sdk.list_systems()]
    assert names == [PROVIDER, CONSUMER]


def test_system_get_by_id(sdk, tutorial):
    system_id = tutorial["consumer"]["id"]
    response = sdk.call("GET", f"/serviceregistry/mgmt/systems/{system_id}")
    assert response.status_code == 200
    assert response.json["systemName"] == CONSUMER


def test_service_registration_accepted_as_sent(tutorial):
    entry = tutorial["entries"][0]
    assert entry["serviceDefinition"]["serviceDefinition"] == "create-car"
    assert entry["serviceUri"] == "/carfactory"
    assert entry["version"] == 1
    assert entry["secure"] == "TOKEN"
    assert entry["metadata"] == {"http-method": "POST"}
    assert "endOfValidity" not in entry


def test_service_registration_creates_provider(tutorial):
    entry = tutorial["entries"][0]
    assert entry["provider"]["systemName"] == PROVIDER
    assert isinstance(entry["provider"]["authenticationInfo"], str)


def test_rule_creation_gives_cross_product(tutorial):
    response = tutorial["rule"]
    assert response.status_code == 201, response.json
    definitions = {
        rule["serviceDefinition"]["serviceDefinition"] for rule in response.json["data"]
    }
    assert definitions == {"create-car", "get-car"}
    assert response.json["count"] == 2


def test_rule_list_without_paging(sdk, tutorial):
    response = sdk.call(
        "GET", "/authorization/mgmt/intracloud?direction=ASC&sort_field=id"
    )
    assert response.status_code == 200
    assert response.json["count"] == 2


def test_rule_removal(sdk, tutorial):
    rule_id = tutorial["rule"].json["data"][0]["id"]
    response = sdk.call("DELETE", f"/authorization/mgmt/intracloud/{rule_id}")
    assert response.status_code == 200
    listed = sdk.call("GET", "/authorization/mgmt/intracloud").json
    assert rule_id not in [rule["id"] for rule in listed["data"]]


def test_orchestration_body_accepted(sdk, tutorial):
    response = sdk.orchestrate("create-car")
    assert response.status_code == 200, response.json
    assert len(response.json["response"]) == 1


def test_orchestration_result_carries_token(sdk, tutorial):
    result = sdk.orchestrate("create-car").json["response"][0]
    assert result["secure"] == "TOKEN"
    assert isinstance(result["authorizationTokens"][SECURE_INTERFACE], str)
    assert result["authorizationTokens"][SECURE_INTERFACE]


def test_orchestration_result_shape(sdk, tutorial):
    result = sdk.orchestrate("get-car").json["response"][0]
    assert result["metadata"]["http-method"] == "GET"
    assert result["serviceUri"] == "/carfactory"
    assert result["version"] == 1
    assert result["warnings"] == ["TTL_UNKNOWN"]
    assert result["provider"]["authenticationInfo"] == helpers.public_key_base64(
        PROVIDER
    )


def test_orchestration_matches_requester_by_name(sdk, tutorial):
    # The SDK sends address localhost and port 8881 whatever the consumer
    # registered; the registered consumer here has the same name only.
    body = sdk_orchestration("create-car")
    body["requesterSystem"]["port"] = 8080
    response = sdk.call(
        "POST", "/orchestrator/orchestration", caller=CONSUMER, json=body
    )
    assert response.status_code == 200, response.json
    assert len(response.json["response"]) == 1


def test_orchestration_without_rule_is_empty(sdk, tutorial):
    sdk.register_system("othercar", 8882)
    response = sdk.call(
        "POST",
        "/orchestrator/orchestration",
        caller="othercar",
        json=sdk_orchestration("create-car", requester="othercar"),
    )
    assert response.status_code == 200
    assert response.json["response"] == []


def test_system_removal(sdk, tutorial):
    system_id = tutorial["consumer"]["id"]
    response = sdk.call("DELETE", f"/serviceregistry/mgmt/systems/{system_id}")
    assert response.status_code == 200
    assert CONSUMER not in [s["systemName"] for s in sdk.list_systems()]


def test_register_system_and_unregister(sdk):
    body = sdk_system("sensor", 9001)
    response = sdk.call(
        "POST", "/serviceregistry/register-system", caller="sensor", json=body
    )
    assert response.status_code == 201, response.json

    response = sdk.call(
        "DELETE",
        "/serviceregistry/unregister-system"
        "?system_name=sensor&address=localhost&port=9001",
        caller="sensor",
    )
    assert response.status_code == 200


def test_register_and_unregister_with_five_parameters(sdk):
    body = sdk_service("read-speed", "GET", helpers.public_key_base64(PROVIDER))
    response = sdk.call("POST", "/serviceregistry/register", caller=PROVIDER, json=body)
    assert response.status_code == 201, response.json

    response = sdk.call(
        "DELETE",
        "/serviceregistry/unregister?system_name=carprovider"
        "&service_uri=/carfactory&service_definition=read-speed"
        "&address=localhost&port=8880",
        caller=PROVIDER,
    )
    assert response.status_code == 200
    listed = sdk.call("GET", "/serviceregistry/mgmt").json
    assert listed["count"] == 0


def test_service_with_validity_instant(sdk):
    sdk.register_system(PROVIDER, 8880)
    body = sdk_service("drive", "POST", helpers.public_key_base64(PROVIDER))
    instant = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    body["endOfValidity"] = instant
    response = sdk.call("POST", "/serviceregistry/mgmt/services", json=body)
    assert response.status_code == 201, response.json
    assert response.json["endOfValidity"] == instant


# Conflicts with the 4.x contract: the 4.x meaning is served.


def test_conflict_services_list_gives_definitions(sdk, tutorial):
    response = sdk.call(
        "GET", "/serviceregistry/mgmt/services?direction=ASC&sort_field=id"
    )
    assert response.status_code == 200
    names = [item["serviceDefinition"] for item in response.json["data"]]
    assert names == ["create-car", "get-car"]


def test_conflict_service_get_gives_definition(sdk, tutorial):
    definition_id = tutorial["entries"][0]["serviceDefinition"]["id"]
    response = sdk.call("GET", f"/serviceregistry/mgmt/services/{definition_id}")
    assert response.status_code == 200
    assert response.json["serviceDefinition"] == "create-car"


def test_entries_are_listed_on_4x_path(sdk, tutorial):
    response = sdk.call("GET", "/serviceregistry/mgmt?direction=ASC&sort_field=id")
    assert response.status_code == 200
    assert response.json["count"] == 2


def test_conflict_errors_use_4x_envelope(sdk):
    response = sdk.call("GET", "/serviceregistry/mgmt/systems/999")
    assert response.status_code == 400
    assert set(response.json) == {
        "errorMessage",
        "errorCode",
        "exceptionType",
        "origin",
    }


def test_conflict_duplicate_system_is_400(sdk):
    sdk.register_system(PROVIDER, 8880)
    response = sdk.call(
        "POST", "/serviceregistry/mgmt/systems", json=sdk_system(PROVIDER, 8880)
    )
    assert response.status_code == 400
    assert "already exists" in response.json["errorMessage"]


def test_conflict_plain_common_name_is_refused(sdk):
    response = sdk.call("GET", "/serviceregistry/mgmt/systems", caller="sysop.example")
    assert response.status_code == 401


def test_demo_script_sequence(client):
    # The Go server's demo script in its plain-HTTP mode: systems, services
    # without "secure", then rules with interfaceIds [1].
    ids = {}
    for index, name in enumerate(("carprovider", "carconsumer")):
        response = client.post(
            "/serviceregistry/mgmt/systems",
            json={"systemName": name, "address": "localhost", "port": 8880 + index},
        )
        assert response.status_code == 201, response.json
        ids[name] = response.json["id"]
        assert (
            client.get(f"/serviceregistry/mgmt/systems/{ids[name]}").status_code == 200
        )

    response = client.post(
        "/serviceregistry/mgmt/services",
        json={
            "serviceDefinition": "create-car",
            "serviceUri": "/carfactory",
            "interfaces": [SECURE_INTERFACE],
            "providerSystem": {
                "systemName": "carprovider",
                "address": "localhost",
                "port": 8880,
            },
        },
    )
    assert response.status_code == 201, response.json
    check_shape(response.json)
    entry = response.json
    assert entry["secure"] == "NOT_SECURE"

    response = client.post(
        "/authorization/mgmt/intracloud",
        json={
            "consumerId": ids["carconsumer"],
            "providerIds": [ids["carprovider"]],
            "serviceDefinitionIds": [entry["serviceDefinition"]["id"]],
            "interfaceIds": [entry["interfaces"][0]["id"]],
        },
    )
    assert response.status_code == 201, response.json

    response = client.post(
        "/orchestrator/orchestration",
        json={
            "requesterSystem": {
                "systemName": "carconsumer",
                "address": "localhost",
                "port": 8881,
            },
            "requestedService": {"serviceDefinitionRequirement": "create-car"},
            "orchestrationFlags": {"overrideStore": True},
        },
    )
    assert response.status_code == 200
    check_shape(response.json)
    assert len(response.json["response"]) == 1


def test_rule_creation_providers_by_definitions(sdk):
    consumer = sdk.register_system(CONSUMER, 8881)
    entries = []
    for index, provider in enumerate(("carprovider", "truckprovider")):
        for definition in ("create-car", "get-car"):
            body = sdk_service(definition, "GET", helpers.public_key_base64(provider))
            body["providerSystem"]["systemName"] = provider
            body["providerSystem"]["port"] = 8880 + index
            response = sdk.call("POST", "/serviceregistry/mgmt/services", json=body)
            assert response.status_code == 201, response.json
            entries.append(response.json)

    response = sdk.add_rule(consumer["id"], entries)

    assert response.status_code == 201, response.json
    assert response.json["count"] == 4


def test_sysop_orchestrates_for_requester(sdk, tutorial):
    # The SDK's orchestrate command uses the sysop certificate and names
    # another requester.
    response = sdk.orchestrate("create-car", caller="sysop")
    assert response.status_code == 200, response.json
    assert len(response.json["response"]) == 1


def test_conflict_unknown_rule_ids_are_400(sdk, tutorial):
    response = sdk.call(
        "POST",
        "/authorization/mgmt/intracloud",
        json={
            "consumerId": tutorial["consumer"]["id"],
            "providerIds": [tutorial["provider"]["id"], 999],
            "serviceDefinitionIds": [tutorial["entries"][0]["serviceDefinition"]["id"]],
            "interfaceIds": [tutorial["entries"][0]["interfaces"][0]["id"]],
        },
    )
    assert response.status_code == 400
    assert "999" in response.json["errorMessage"]
