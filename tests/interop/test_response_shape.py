"""One response shape for every client: the fields each client requires.

The official client's pydantic models need ``authenticationInfo``, the
timestamps of every nested object, ``version`` and ``warnings``; the SDK's
models reject ``null`` for ``metadata`` and ``authorizationTokens``.
"""

from tests.interop.test_dialect import check_shape

NESTED_OBJECTS = ("provider", "service")


def _register_and_orchestrate(client) -> dict:
    consumer = client.post(
        "/serviceregistry/mgmt/systems",
        json={"systemName": "consumer", "address": "127.0.0.1", "port": 7656},
    ).json
    entry = client.post(
        "/serviceregistry/register",
        json={
            "serviceDefinition": "hello-arrowhead",
            "serviceUri": "hello",
            "interfaces": ["HTTP-INSECURE-JSON"],
            "providerSystem": {
                "systemName": "provider",
                "address": "127.0.0.1",
                "port": 7655,
            },
        },
    ).json
    client.post(
        "/authorization/mgmt/intracloud/",
        json={
            "consumerId": consumer["id"],
            "providerIds": [entry["provider"]["id"]],
            "serviceDefinitionIds": [entry["serviceDefinition"]["id"]],
            "interfaceIds": [entry["interfaces"][0]["id"]],
        },
    )
    response = client.post(
        "/orchestrator/orchestration",
        json={
            "requesterSystem": {
                "systemName": "consumer",
                "address": "127.0.0.1",
                "port": 7656,
                "authenticationInfo": None,
            },
            "requesterCloud": None,
            "requestedService": {
                "serviceDefinitionRequirement": "hello-arrowhead",
                "versionRequirement": None,
                "metadataRequirements": None,
            },
            "orchestrationFlags": {"overrideStore": True},
        },
    )
    assert response.status_code == 200, response.json
    return response.json["response"][0]


def test_result_has_object_fields_not_null(client):
    result = _register_and_orchestrate(client)
    assert result["metadata"] == {}
    assert result["authorizationTokens"] == {}
    assert result["warnings"] == ["TTL_UNKNOWN"]
    assert result["version"] == 1
    assert result["secure"] == "NOT_SECURE"


def test_result_provider_has_empty_key_string(client):
    result = _register_and_orchestrate(client)
    assert result["provider"]["authenticationInfo"] == ""


def test_result_nested_objects_have_timestamps(client):
    result = _register_and_orchestrate(client)
    for name in NESTED_OBJECTS:
        assert result[name]["createdAt"].endswith("Z"), name
        assert result[name]["updatedAt"].endswith("Z"), name
    for interface in result["interfaces"]:
        assert interface["createdAt"].endswith("Z")


def test_result_keeps_uri_as_registered(client):
    result = _register_and_orchestrate(client)
    assert result["serviceUri"] == "hello"
    check_shape(result)


def test_mgmt_paths_accept_trailing_slash(client):
    _register_and_orchestrate(client)
    for path in (
        "/serviceregistry/mgmt/",
        "/serviceregistry/mgmt/systems/",
        "/authorization/mgmt/intracloud/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json["count"] >= 1, path


def test_errors_carry_error_message(client):
    response = client.post("/serviceregistry/register", json={})
    assert response.status_code == 400
    assert response.json["errorMessage"]
