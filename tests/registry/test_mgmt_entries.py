"""The /serviceregistry/mgmt endpoints for entries, definitions and interfaces."""

import pytest

from tests import helpers
from tests.registry.support import SEED_INTERFACE_COUNT
from tests.registry.support import assert_error
from tests.registry.support import register
from tests.registry.support import row_counts

MGMT = "/serviceregistry/mgmt"


def _entry(definition="temperature", provider="sensor", port=8080, **extra):
    body = helpers.entry_body(
        definition, provider, port, interfaces=("HTTP-INSECURE-JSON",)
    )
    body.update(extra)
    return body


def test_mgmt_create_entry_201(client):
    response = client.post(MGMT, json=_entry())
    assert response.status_code == 201
    assert response.json["serviceDefinition"]["serviceDefinition"] == "temperature"


def test_mgmt_create_reserved_provider_is_400(app, client):
    before = row_counts(app)
    response = client.post(MGMT, json=_entry(provider="Orchestrator"))
    assert_error(response, 400)
    assert row_counts(app) == before


def test_register_allows_core_provider(client):
    response = register(client, provider="orchestrator")
    assert response.status_code == 201


def test_mgmt_list_entries_paged(client):
    for port in (1, 2, 3):
        register(client, port=port)
    response = client.get(
        MGMT, query_string={"page": 1, "item_per_page": 2, "direction": "desc"}
    )
    assert response.status_code == 200
    assert response.json["count"] == 3
    assert [item["id"] for item in response.json["data"]] == [1]


def test_mgmt_list_entries_trailing_slash(client):
    register(client)
    response = client.get(MGMT + "/", query_string={"sort_field": "createdAt"})
    assert response.status_code == 200
    assert response.json["count"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"item_per_page": 5},
        {"page": "x", "item_per_page": 5},
        {"direction": "UP"},
        {"sort_field": "systemName"},
        {"page": 10**20, "item_per_page": 5},
        {"page": 0, "item_per_page": 2**31},
    ],
)
def test_mgmt_list_bad_paging_is_400(client, params):
    response = client.get(MGMT, query_string=params)
    assert_error(response, 400)


def test_mgmt_get_entry(client):
    register(client)
    response = client.get(f"{MGMT}/1")
    assert response.status_code == 200
    assert response.json["id"] == 1


@pytest.mark.parametrize("entry_id", ["0", "-1", "99", "99999999999999999999"])
def test_mgmt_get_entry_unknown_is_400(client, entry_id):
    response = client.get(f"{MGMT}/{entry_id}")
    assert_error(response, 400)


def test_mgmt_put_entry_replaces(client):
    register(client, metadata={"a": "1"}, version=3)
    response = client.put(f"{MGMT}/1", json=_entry("humidity", serviceUri="/h"))
    assert response.status_code == 200
    assert response.json["serviceDefinition"]["serviceDefinition"] == "humidity"
    assert response.json["serviceUri"] == "/h"
    assert response.json["metadata"] == {}
    assert response.json["version"] == 1


def test_mgmt_put_entry_duplicate_is_400(client):
    register(client)
    register(client, serviceUri="/other")
    response = client.put(f"{MGMT}/2", json=_entry())
    assert_error(response, 400)
    assert client.get(f"{MGMT}/2").json["serviceUri"] == "/other"


def test_mgmt_patch_keeps_security_type(secure_client):
    sysop = helpers.caller("sysop")
    body = helpers.entry_body("temperature", "sensor", secure="TOKEN")
    body["providerSystem"]["authenticationInfo"] = helpers.public_key_base64()
    secure_client.post(MGMT, json=body, environ_overrides=sysop)
    response = secure_client.patch(
        f"{MGMT}/1", json={"version": 7}, environ_overrides=sysop
    )
    assert response.status_code == 200
    assert response.json["secure"] == "TOKEN"
    assert response.json["version"] == 7


def test_mgmt_patch_changes_given_fields(client):
    register(client, metadata={"a": "1"})
    response = client.patch(
        f"{MGMT}/1",
        json={
            "serviceUri": "/new",
            "interfaces": ["HTTP-SECURE-JSON"],
            "version": None,
        },
    )
    assert response.status_code == 200
    assert response.json["serviceUri"] == "/new"
    assert response.json["metadata"] == {"a": "1"}
    assert response.json["version"] == 1
    assert [item["interfaceName"] for item in response.json["interfaces"]] == [
        "HTTP-SECURE-JSON"
    ]


def test_mgmt_patch_moves_provider(client):
    register(client)
    response = client.patch(
        f"{MGMT}/1", json={"providerSystem": helpers.system_body("other", 9000)}
    )
    assert response.status_code == 200
    assert response.json["provider"]["systemName"] == "other"


def test_mgmt_patch_empty_is_400(client):
    register(client)
    response = client.patch(f"{MGMT}/1", json={"secure": None})
    assert_error(response, 400)


def test_mgmt_delete_entry(app, client):
    register(client)
    response = client.delete(f"{MGMT}/1")
    assert response.status_code == 200
    assert row_counts(app)["service_registry"] == 0
    assert row_counts(app)["system_"] == 1


def test_mgmt_delete_unknown_entry_is_400(client):
    response = client.delete(f"{MGMT}/5")
    assert_error(response, 400)


def test_mgmt_grouped_shape(client):
    register(client, port=1)
    register(client, "humidity", port=1)
    register(client, port=2)
    response = client.get(f"{MGMT}/grouped")
    assert response.status_code == 200
    body = response.json
    by_system = body["servicesGroupedBySystems"]
    assert [group["systemId"] for group in by_system] == [1, 2]
    assert [item["id"] for item in by_system[0]["services"]] == [1, 2]
    assert set(by_system[0]) == {
        "systemId",
        "systemName",
        "address",
        "port",
        "metadata",
        "services",
    }
    by_definition = body["servicesGroupedByServiceDefinition"]
    assert [group["serviceDefinition"] for group in by_definition] == [
        "temperature",
        "humidity",
    ]
    assert [item["id"] for item in by_definition[0]["providerServices"]] == [1, 3]
    auto = body["autoCompleteData"]
    assert auto["serviceList"] == [
        {"id": 1, "value": "temperature"},
        {"id": 2, "value": "humidity"},
    ]
    assert len(auto["systemList"]) == 2
    assert {"id": 1, "value": "HTTP-SECURE-JSON"} in auto["interfaceList"]


def test_mgmt_servicedef_lists_entries(client):
    register(client, port=1)
    register(client, "humidity", port=1)
    response = client.get(f"{MGMT}/servicedef/Temperature")
    assert response.status_code == 200
    assert response.json["count"] == 1
    assert response.json["data"][0]["id"] == 1


def test_mgmt_servicedef_unknown_is_400(client):
    response = client.get(f"{MGMT}/servicedef/nothing")
    assert_error(response, 400)


# Service definitions ----------------------------------------------------------


def test_definition_create_201(client):
    response = client.post(f"{MGMT}/services", json={"serviceDefinition": " Light "})
    assert response.status_code == 201
    assert set(response.json) == {"id", "serviceDefinition", "createdAt", "updatedAt"}
    assert response.json["serviceDefinition"] == "light"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"serviceDefinition": ""},
        {"serviceDefinition": "bad name"},
        {"serviceDefinition": "Token-Generation"},
        {"serviceDefinition": 7},
    ],
)
def test_definition_create_invalid_is_400(app, client, body):
    before = row_counts(app)
    response = client.post(f"{MGMT}/services", json=body)
    assert_error(response, 400)
    assert row_counts(app) == before


def test_definition_create_duplicate_is_400(client):
    client.post(f"{MGMT}/services", json={"serviceDefinition": "light"})
    response = client.post(f"{MGMT}/services", json={"serviceDefinition": "LIGHT"})
    assert_error(response, 400)
    assert "already exists" in response.json["errorMessage"]


def test_mgmt_services_post_entry_dialect(app, client):
    body = _entry("create-car", "carprovider", endOfValidity="", version="1")
    response = client.post(f"{MGMT}/services", json=body)
    assert response.status_code == 201
    assert response.json["provider"]["systemName"] == "carprovider"
    assert row_counts(app)["service_registry"] == 1


def test_mgmt_services_get_lists_definitions(client):
    register(client)
    response = client.get(
        f"{MGMT}/services", query_string={"direction": "ASC", "sort_field": "id"}
    )
    assert response.status_code == 200
    assert response.json["count"] == 1
    assert response.json["data"][0]["serviceDefinition"] == "temperature"


@pytest.mark.parametrize("method", ["put", "patch"])
def test_definition_rename(client, method):
    client.post(f"{MGMT}/services", json={"serviceDefinition": "light"})
    response = getattr(client, method)(
        f"{MGMT}/services/1", json={"serviceDefinition": "lamp"}
    )
    assert response.status_code == 200
    assert response.json["serviceDefinition"] == "lamp"


def test_definition_rename_to_existing_is_400(client):
    client.post(f"{MGMT}/services", json={"serviceDefinition": "light"})
    client.post(f"{MGMT}/services", json={"serviceDefinition": "lamp"})
    response = client.put(f"{MGMT}/services/1", json={"serviceDefinition": "lamp"})
    assert_error(response, 400)


def test_definition_get_and_unknown(client):
    client.post(f"{MGMT}/services", json={"serviceDefinition": "light"})
    assert client.get(f"{MGMT}/services/1").json["serviceDefinition"] == "light"
    assert_error(client.get(f"{MGMT}/services/2"), 400)


def test_definition_delete_cascades_to_entries(app, client):
    register(client)
    response = client.delete(f"{MGMT}/services/1")
    assert response.status_code == 200
    counts = row_counts(app)
    assert counts["service_definition"] == 0
    assert counts["service_registry"] == 0
    assert counts["service_registry_interface_connection"] == 0
    assert counts["system_"] == 1


# Interfaces -----------------------------------------------------------------


def test_interface_list_has_seeds(client):
    response = client.get(
        f"{MGMT}/interfaces", query_string={"sort_field": "interfaceName"}
    )
    assert response.status_code == 200
    assert response.json["count"] == SEED_INTERFACE_COUNT
    assert [item["interfaceName"] for item in response.json["data"]] == [
        "HTTP-INSECURE-JSON",
        "HTTP-SECURE-JSON",
    ]


def test_interface_create_201(client):
    response = client.post(
        f"{MGMT}/interfaces", json={"interfaceName": "mqtt-secure-json"}
    )
    assert response.status_code == 201
    assert set(response.json) == {"id", "interfaceName", "createdAt", "updatedAt"}
    assert response.json["interfaceName"] == "MQTT-SECURE-JSON"


@pytest.mark.parametrize(
    "body",
    [{}, {"interfaceName": "HTTP-JSON"}, {"interfaceName": "HTTP-SECURE-JSON"}],
)
def test_interface_create_invalid_is_400(app, client, body):
    before = row_counts(app)
    response = client.post(f"{MGMT}/interfaces", json=body)
    assert_error(response, 400)
    assert row_counts(app) == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_interface_rename(client, method):
    response = getattr(client, method)(
        f"{MGMT}/interfaces/1", json={"interfaceName": "HTTPS-SECURE-JSON"}
    )
    assert response.status_code == 200
    assert response.json["interfaceName"] == "HTTPS-SECURE-JSON"


def test_interface_get_unknown_is_400(client):
    assert_error(client.get(f"{MGMT}/interfaces/42"), 400)


def test_interface_delete_removes_links(app, client):
    register(client, interfaces=["HTTP-INSECURE-JSON", "COAP-INSECURE-CBOR"])
    interface_id = client.get(f"{MGMT}/1").json["interfaces"][1]["id"]
    response = client.delete(f"{MGMT}/interfaces/{interface_id}")
    assert response.status_code == 200
    assert row_counts(app)["service_registry_interface_connection"] == 1
    assert len(client.get(f"{MGMT}/1").json["interfaces"]) == 1


def test_mgmt_denied_to_application(secure_client):
    response = secure_client.get(MGMT, environ_overrides=helpers.caller("sensor"))
    assert_error(response, 401)


def test_mgmt_allowed_to_sysop(secure_client):
    response = secure_client.get(MGMT, environ_overrides=helpers.caller("sysop"))
    assert response.status_code == 200
