"""POST /serviceregistry/register and DELETE /serviceregistry/unregister."""

import pytest

from tests import helpers
from tests.registry.support import assert_error
from tests.registry.support import register
from tests.registry.support import row_counts

SYSTEM_KEYS = {
    "id",
    "systemName",
    "address",
    "port",
    "authenticationInfo",
    "metadata",
    "createdAt",
    "updatedAt",
}
ENTRY_KEYS = {
    "id",
    "serviceDefinition",
    "provider",
    "serviceUri",
    "secure",
    "metadata",
    "version",
    "interfaces",
    "createdAt",
    "updatedAt",
}


def test_register_returns_201_with_entry(client):
    response = register(client, "Temperature", "Sensor", metadata={"unit": "C"})
    assert response.status_code == 201
    body = response.json
    assert set(body) == ENTRY_KEYS
    assert body["serviceDefinition"]["serviceDefinition"] == "temperature"
    assert set(body["serviceDefinition"]) == {
        "id",
        "serviceDefinition",
        "createdAt",
        "updatedAt",
    }
    assert set(body["provider"]) == SYSTEM_KEYS
    assert body["provider"]["systemName"] == "sensor"
    assert body["provider"]["authenticationInfo"] == ""
    assert body["serviceUri"] == "/Temperature"
    assert body["secure"] == "NOT_SECURE"
    assert body["metadata"] == {"unit": "C"}
    assert body["version"] == 1
    assert [item["interfaceName"] for item in body["interfaces"]] == [
        "HTTP-INSECURE-JSON"
    ]
    assert body["createdAt"].endswith("Z")


def test_register_with_end_of_validity(client):
    response = register(client, endOfValidity="2112-06-20T12:00:00Z")
    assert response.status_code == 201
    assert response.json["endOfValidity"] == "2112-06-20T12:00:00Z"


@pytest.mark.parametrize(
    "instant",
    ["0001-01-01T00:00:00Z", "0999-12-31T23:59:59.5Z", "9999-12-31T23:59:59Z"],
)
def test_register_end_of_validity_year_padded(client, instant):
    response = register(client, endOfValidity=instant)
    assert response.status_code == 201
    assert response.json["endOfValidity"] == instant


def test_register_accepts_sdk_dialect(client):
    body = {
        "endOfValidity": "",
        "interfaces": ["HTTP-INSECURE-JSON"],
        "metadata": {"http-method": "POST"},
        "providerSystem": {
            "systemName": "carprovider",
            "address": "localhost",
            "port": 8880,
            "authenticationInfo": "",
            "metadata": None,
        },
        "secure": None,
        "serviceDefinition": "create-car",
        "serviceUri": "/carfactory",
        "version": "1",
    }
    response = client.post("/serviceregistry/register", json=body)
    assert response.status_code == 201
    assert "endOfValidity" not in response.json
    assert response.json["version"] == 1
    assert response.json["serviceUri"] == "/carfactory"
    assert response.json["secure"] == "NOT_SECURE"


def test_register_keeps_uri_without_slash(client):
    response = register(client, serviceUri="hello")
    assert response.json["serviceUri"] == "hello"


def test_register_null_uri_is_empty(client):
    response = register(client, serviceUri=None)
    assert response.json["serviceUri"] == ""


def test_register_secure_lower_case(secure_client):
    body = helpers.entry_body(
        "temperature", "sensor", secure="token", interfaces=("http-secure-json",)
    )
    body["providerSystem"]["authenticationInfo"] = helpers.public_key_base64()
    response = secure_client.post(
        "/serviceregistry/register",
        json=body,
        environ_overrides=helpers.caller("sensor"),
    )
    assert response.status_code == 201
    assert response.json["secure"] == "TOKEN"
    assert response.json["interfaces"][0]["interfaceName"] == "HTTP-SECURE-JSON"


def test_register_secure_without_key_is_400(secure_client):
    body = helpers.entry_body("temperature", "sensor", secure="CERTIFICATE")
    response = secure_client.post(
        "/serviceregistry/register",
        json=body,
        environ_overrides=helpers.caller("sensor"),
    )
    assert_error(response, 400)
    assert "authentication info" in response.json["errorMessage"]


def test_register_secure_in_off_mode_is_400(app, client):
    body = helpers.entry_body(
        "temperature", "sensor", secure="TOKEN", interfaces=("HTTP-SECURE-JSON",)
    )
    body["providerSystem"]["authenticationInfo"] = helpers.public_key_base64()
    before = row_counts(app)
    response = client.post("/serviceregistry/register", json=body)
    assert_error(response, 400)
    assert "insecure mode" in response.json["errorMessage"]
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("serviceDefinition", ""),
        ("serviceDefinition", "temp_reading"),
        ("serviceDefinition", None),
        ("secure", "SOMETIMES"),
        ("interfaces", []),
        ("interfaces", ["HTTP-JSON"]),
        ("interfaces", None),
        ("endOfValidity", "2019-12-05T12:00:00"),
        ("endOfValidity", "2019-12-05T12:00:00+01:00"),
        ("version", -1),
    ],
)
def test_register_invalid_field_is_400(app, client, field, value):
    before = row_counts(app)
    response = register(client, **{field: value})
    assert_error(response, 400)
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("systemName", ""),
        ("systemName", "my_sensor"),
        ("systemName", "sensor-"),
        ("systemName", "1sensor"),
        ("address", ""),
        ("address", "0.0.0.0"),
        ("address", "224.0.0.1"),
        ("address", "bad_host.local"),
        ("port", -1),
        ("port", 65536),
        ("port", None),
    ],
)
def test_register_invalid_provider_is_400(app, client, field, value):
    body = helpers.entry_body(
        "temperature", "sensor", interfaces=("HTTP-INSECURE-JSON",)
    )
    body["providerSystem"][field] = value
    before = row_counts(app)
    response = client.post("/serviceregistry/register", json=body)
    assert_error(response, 400)
    assert row_counts(app) == before


def test_register_normalises_ipv6_address(client):
    response = register(client, providerSystem=helpers.system_body("s", 1, "::1"))
    assert (
        response.json["provider"]["address"]
        == "0000:0000:0000:0000:0000:0000:0000:0001"
    )


def test_register_duplicate_is_400(app, client):
    register(client)
    before = row_counts(app)
    response = register(client)
    assert_error(response, 400)
    assert "already exists" in response.json["errorMessage"]
    assert row_counts(app) == before


def test_register_duplicate_keeps_provider(app, client):
    register(client, providerSystem=helpers.system_body("sensor", metadata={"a": "1"}))
    register(client, providerSystem=helpers.system_body("sensor", metadata={"a": "2"}))
    response = client.get("/serviceregistry/mgmt/systems/1")
    assert response.json["metadata"] == {"a": "1"}


def test_register_same_provider_other_uri(client):
    register(client)
    response = register(client, serviceUri="/other")
    assert response.status_code == 201


def test_reregister_overwrites_provider(client):
    register(client, providerSystem=helpers.system_body("sensor", metadata={"a": "1"}))
    response = register(
        client,
        "humidity",
        providerSystem=helpers.system_body("sensor", metadata={"b": "2"}),
    )
    assert response.json["provider"]["metadata"] == {"b": "2"}
    assert response.json["provider"]["id"] == 1


def test_reregister_null_clears_provider_metadata(client):
    register(client, providerSystem=helpers.system_body("sensor", metadata={"a": "1"}))
    response = register(client, "humidity")
    assert response.json["provider"]["metadata"] == {}


def test_register_core_definition_by_application_is_401(secure_client):
    body = helpers.entry_body("orchestration-service", "sensor")
    body["providerSystem"]["authenticationInfo"] = helpers.public_key_base64()
    response = secure_client.post(
        "/serviceregistry/register",
        json=body,
        environ_overrides=helpers.caller("sensor"),
    )
    assert_error(response, 401)


def test_register_core_definition_by_core_system(secure_client):
    body = helpers.entry_body(
        "orchestration-service", "orchestrator", secure="CERTIFICATE"
    )
    body["providerSystem"]["authenticationInfo"] = helpers.public_key_base64()
    response = secure_client.post(
        "/serviceregistry/register",
        json=body,
        environ_overrides=helpers.caller("orchestrator"),
    )
    assert response.status_code == 201


def test_register_for_other_system_is_401(secure_client):
    body = helpers.entry_body("temperature", "sensor")
    response = secure_client.post(
        "/serviceregistry/register",
        json=body,
        environ_overrides=helpers.caller("other"),
    )
    assert_error(response, 401)


def _unregister(client, **params):
    return client.delete("/serviceregistry/unregister", query_string=params)


def test_unregister_with_uri_removes_one(app, client):
    register(client)
    register(client, serviceUri="/other")
    response = _unregister(
        client,
        service_definition="temperature",
        system_name="sensor",
        address="127.0.0.1",
        port=8080,
        service_uri="/other",
    )
    assert response.status_code == 200
    assert response.get_data() == b""
    assert row_counts(app)["service_registry"] == 1


def test_unregister_without_uri_removes_all(app, client):
    register(client)
    register(client, serviceUri="/other")
    response = _unregister(
        client,
        service_definition="temperature",
        system_name="sensor",
        address="127.0.0.1",
        port=8080,
    )
    assert response.status_code == 200
    assert row_counts(app)["service_registry"] == 0
    assert row_counts(app)["system_"] == 1


def test_unregister_empty_uri_matches_empty(app, client):
    register(client, serviceUri=None)
    register(client)
    response = _unregister(
        client,
        service_definition="temperature",
        system_name="sensor",
        address="127.0.0.1",
        port=8080,
        service_uri="",
    )
    assert response.status_code == 200
    assert row_counts(app)["service_registry"] == 1


def test_unregister_without_address(app, client):
    register(client)
    response = _unregister(
        client, service_definition="temperature", system_name="SENSOR", port=8080
    )
    assert response.status_code == 200
    assert row_counts(app)["service_registry"] == 0


def test_unregister_ambiguous_without_address_is_400(app, client):
    register(client)
    register(client, providerSystem=helpers.system_body("sensor", 8080, "10.0.0.1"))
    response = _unregister(
        client, service_definition="temperature", system_name="sensor", port=8080
    )
    assert_error(response, 400)
    assert row_counts(app)["service_registry"] == 2


@pytest.mark.parametrize(
    "params",
    [
        {"system_name": "sensor", "port": "8080"},
        {"service_definition": "temperature", "port": "8080"},
        {"service_definition": "temperature", "system_name": "sensor"},
        {"service_definition": "temperature", "system_name": "sensor", "port": "x"},
        {"service_definition": "temperature", "system_name": "sensor", "port": "70000"},
        {"service_definition": "unknown", "system_name": "sensor", "port": "8080"},
        {"service_definition": "temperature", "system_name": "nobody", "port": "8080"},
        {
            "service_definition": "temperature",
            "system_name": "sensor",
            "port": "8080",
            "service_uri": "/nowhere",
        },
    ],
)
def test_unregister_error_is_400(app, client, params):
    register(client)
    response = _unregister(client, **params)
    assert_error(response, 400)
    assert row_counts(app)["service_registry"] == 1


def test_unregister_other_system_is_401(secure_client):
    response = secure_client.delete(
        "/serviceregistry/unregister",
        query_string={
            "service_definition": "temperature",
            "system_name": "sensor",
            "port": 8080,
        },
        environ_overrides=helpers.caller("other"),
    )
    assert_error(response, 401)
