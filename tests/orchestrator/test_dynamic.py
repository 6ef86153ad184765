"""Dynamic orchestration: requirements, flags, authorization, ranking and TTL."""

import socket
from datetime import timedelta

import pytest

from arrowhead_lite.extensions import db
from arrowhead_lite.extensions import utcnow
from tests import helpers
from tests.orchestrator import factories


@pytest.fixture
def world(app):
    """A consumer and three authorized NOT_SECURE providers."""
    with app.app_context():
        consumer = factories.system("consumer", 9000)
        providers = [factories.system(f"provider-{i}", 8080 + i) for i in range(3)]
        for provider in providers:
            factories.entry(provider)
            factories.rule(consumer, provider)
        db.session.commit()
        return {"consumer_id": consumer.id, "app": app}


def _names(response) -> list[str]:
    return [result["provider"]["systemName"] for result in response.json["response"]]


def _post(client, body):
    return client.post("/orchestrator/orchestration", json=body)


def test_dynamic_all_authorized_in_registry_order(world, client):
    response = _post(client, factories.form())

    assert response.status_code == 200
    assert _names(response) == ["provider-0", "provider-1", "provider-2"]


def test_dynamic_unknown_service_is_empty(world, client):
    response = _post(client, factories.form("no-such-service"))

    assert response.status_code == 200
    assert response.json == {"response": []}


def test_dynamic_unauthorized_provider_dropped(world, client):
    factories.add_provider(world["app"], None, "provider-x", 8099)

    response = _post(client, factories.form())

    assert "provider-x" not in _names(response)


def test_dynamic_no_rules_is_empty(world, client):
    with world["app"].app_context():
        factories.system("stranger", 9100)
        db.session.commit()

    response = _post(client, factories.form(requester_name="stranger", port=9100))

    assert response.status_code == 200
    assert response.json["response"] == []


def test_dynamic_only_authorized_interfaces(world, client):
    factories.add_provider(
        world["app"],
        world["consumer_id"],
        "dual",
        8200,
        interfaces=("HTTP-SECURE-JSON", "HTTP-INSECURE-JSON"),
        rule_interfaces=("HTTP-INSECURE-JSON",),
    )

    response = _post(client, factories.form())

    result = response.json["response"][-1]
    assert result["provider"]["systemName"] == "dual"
    assert [i["interfaceName"] for i in result["interfaces"]] == ["HTTP-INSECURE-JSON"]


def test_dynamic_rule_without_requested_interface(world, client):
    factories.add_provider(
        world["app"],
        world["consumer_id"],
        "secure-only-rule",
        8201,
        interfaces=("HTTP-SECURE-JSON", "HTTP-INSECURE-JSON"),
        rule_interfaces=("HTTP-SECURE-JSON",),
    )

    response = _post(
        client, factories.form(interfaceRequirements=["http-insecure-json"])
    )

    assert _names(response) == []


def test_dynamic_interface_requirement(world, client):
    factories.add_provider(
        world["app"],
        world["consumer_id"],
        "insecure",
        8202,
        interfaces=("HTTP-INSECURE-JSON",),
        rule_interfaces=("HTTP-INSECURE-JSON",),
    )

    response = _post(
        client, factories.form(interfaceRequirements=["HTTP-INSECURE-JSON"])
    )

    assert _names(response) == ["insecure"]


def test_dynamic_security_requirement(world, client):
    factories.add_provider(
        world["app"], world["consumer_id"], "certified", 8203, secure="CERTIFICATE"
    )

    response = _post(client, factories.form(securityRequirements=["CERTIFICATE"]))

    assert _names(response) == ["certified"]


def test_dynamic_invalid_security_requirement(world, client):
    response = _post(client, factories.form(securityRequirements=["token"]))

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("requirements", "expected"),
    [
        ({"versionRequirement": 2}, ["versioned"]),
        ({"minVersionRequirement": 2}, ["versioned"]),
        ({"maxVersionRequirement": 1}, ["provider-0", "provider-1", "provider-2"]),
        ({"versionRequirement": 3}, []),
    ],
)
def test_dynamic_version_requirements(world, client, requirements, expected):
    factories.add_provider(
        world["app"], world["consumer_id"], "versioned", 8204, version=2
    )

    response = _post(client, factories.form(**requirements))

    assert _names(response) == expected


def test_dynamic_metadata_ignored_without_search(world, client):
    response = _post(client, factories.form(metadataRequirements={"unit": "celsius"}))

    assert len(_names(response)) == 3


def test_dynamic_metadata_search(world, client):
    factories.add_provider(
        world["app"],
        world["consumer_id"],
        "celsius",
        8205,
        metadata={"unit": "celsius"},
    )

    response = _post(
        client,
        factories.form(
            flags={"metadataSearch": True}, metadataRequirements={"unit": "celsius"}
        ),
    )

    assert _names(response) == ["celsius"]
    assert response.json["response"][0]["metadata"] == {"unit": "celsius"}


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("onlyIPv4AddressResponse", {"provider-0", "provider-1", "provider-2"}),
        ("onlyIPv6AddressResponse", {"six"}),
        ("onlyIPAddressResponse", {"provider-0", "provider-1", "provider-2", "six"}),
    ],
)
def test_dynamic_address_flags(world, client, flag, expected):
    factories.add_provider(
        world["app"],
        world["consumer_id"],
        "named",
        8206,
        address="sensor.local",
        address_type="HOSTNAME",
    )
    factories.add_provider(
        world["app"],
        world["consumer_id"],
        "six",
        8207,
        address="0000:0000:0000:0000:0000:0000:0000:0001",
        address_type="IPV6",
    )

    response = _post(client, factories.form(flags={flag: True}))

    assert set(_names(response)) == expected


def test_dynamic_ping_providers(world, client):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        factories.add_provider(world["app"], world["consumer_id"], "alive", port)

        response = _post(client, factories.form(flags={"pingProviders": True}))
    finally:
        listener.close()

    assert _names(response) == ["alive"]


def _preferred(*names_and_ports, cloud=None):
    preferred = []
    for name, port in names_and_ports:
        item = {"providerSystem": helpers.system_body(name, port)}
        if cloud is not None:
            item["providerCloud"] = cloud
        preferred.append(item)
    return preferred


def test_dynamic_preferred_ranked_first(world, client):
    body = factories.form()
    body["preferredProviders"] = _preferred(("provider-2", 8082), ("provider-1", 8081))

    response = _post(client, body)

    assert _names(response) == ["provider-2", "provider-1", "provider-0"]


def test_dynamic_matchmaking_takes_first_preferred(world, client):
    body = factories.form(flags={"matchmaking": True})
    body["preferredProviders"] = _preferred(("provider-1", 8081), ("provider-2", 8082))

    response = _post(client, body)

    assert _names(response) == ["provider-1"]


def test_dynamic_matchmaking_without_preferred(world, client):
    response = _post(client, factories.form(flags={"matchmaking": True}))

    assert _names(response) == ["provider-0"]


def test_dynamic_only_preferred(world, client):
    body = factories.form(flags={"onlyPreferred": True})
    body["preferredProviders"] = _preferred(("provider-1", 8081))

    response = _post(client, body)

    assert _names(response) == ["provider-1"]


def test_dynamic_only_preferred_own_cloud_counts(world, client):
    body = factories.form(flags={"onlyPreferred": True})
    body["preferredProviders"] = _preferred(
        ("provider-1", 8081),
        cloud={"name": helpers.CLOUD_NAME, "operator": helpers.CLOUD_OPERATOR},
    )

    response = _post(client, body)

    assert _names(response) == ["provider-1"]


def test_dynamic_only_preferred_other_cloud_is_400(world, client):
    body = factories.form(flags={"onlyPreferred": True})
    body["preferredProviders"] = _preferred(
        ("provider-1", 8081), cloud={"name": "elsewhere", "operator": "aitia"}
    )

    response = _post(client, body)

    assert response.status_code == 400
    assert "onlyPreferred" in response.json["errorMessage"]


def test_dynamic_ttl_unknown(world, client):
    response = _post(client, factories.form())

    assert response.json["response"][0]["warnings"] == ["TTL_UNKNOWN"]


def test_dynamic_ttl_expiring(world, client):
    factories.add_provider(
        world["app"],
        world["consumer_id"],
        "expiring",
        8208,
        end_of_validity=utcnow() + timedelta(seconds=90),
    )

    response = _post(client, factories.form())

    assert response.json["response"][-1]["warnings"] == ["TTL_EXPIRING"]


def test_dynamic_ttl_valid_has_no_warning(world, client):
    factories.add_provider(
        world["app"],
        world["consumer_id"],
        "lasting",
        8209,
        end_of_validity=utcnow() + timedelta(days=1),
    )

    response = _post(client, factories.form())

    assert response.json["response"][-1]["warnings"] == []


def test_dynamic_expired_entry_not_offered(world, client):
    factories.add_provider(
        world["app"],
        world["consumer_id"],
        "expired",
        8210,
        end_of_validity=utcnow() - timedelta(seconds=1),
    )

    response = _post(client, factories.form())

    assert "expired" not in _names(response)


def test_dynamic_token_results_without_tls(world, client):
    factories.add_provider(
        world["app"],
        world["consumer_id"],
        "tokened",
        8211,
        key="tokened",
        secure="TOKEN",
    )

    response = _post(client, factories.form())

    result = response.json["response"][-1]
    assert result["secure"] == "TOKEN"
    assert result["authorizationTokens"] == {}


def test_dynamic_not_secure_tokens_are_empty_object(world, client):
    response = _post(client, factories.form())

    assert response.json["response"][0]["authorizationTokens"] == {}


def test_dynamic_accepts_inter_cloud_and_qos_flags(world, client):
    response = _post(
        client, factories.form(flags={"enableInterCloud": True, "enableQoS": True})
    )

    assert response.status_code == 200
    assert len(_names(response)) == 3


def test_dynamic_accepts_sdk_body(world, client):
    body = {
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
            "interfaceRequirements": ["HTTP-SECURE-JSON"],
            "maxVersionRequirement": None,
            "metadataRequirements": {},
            "minVersionRequirement": None,
            "pingProviders": False,
            "securityRequirements": None,
            "serviceDefinitionRequirement": factories.DEFINITION,
            "versionRequirement": None,
        },
        "requesterCloud": None,
        "requesterSystem": {
            "systemName": "consumer",
            "address": "localhost",
            "port": 8080,
            "authenticationInfo": None,
            "metadata": None,
        },
    }

    response = _post(client, body)

    assert response.status_code == 200
    assert _names(response) == ["provider-0"]
