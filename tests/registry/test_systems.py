"""Systems: register-system, unregister-system, pull-systems, /mgmt/systems."""

import pytest
from sqlalchemy import text

from arrowhead_lite.extensions import db
from tests import helpers
from tests.registry.support import assert_error
from tests.registry.support import register
from tests.registry.support import row_counts

SYSTEMS = "/serviceregistry/mgmt/systems"
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


def test_register_system_201(client):
    body = helpers.system_body("Consumer", metadata={"k": "v"}, authenticationInfo="a")
    response = client.post("/serviceregistry/register-system", json=body)
    assert response.status_code == 201
    assert set(response.json) == SYSTEM_KEYS
    assert response.json["systemName"] == "consumer"
    assert response.json["metadata"] == {"k": "v"}
    assert response.json["authenticationInfo"] == "a"


def test_register_system_duplicate_is_400(app, client):
    client.post("/serviceregistry/register-system", json=helpers.system_body("c"))
    before = row_counts(app)
    response = client.post(
        "/serviceregistry/register-system", json=helpers.system_body("C")
    )
    assert_error(response, 400)
    assert "already exists" in response.json["errorMessage"]
    assert row_counts(app) == before


@pytest.mark.parametrize("name", ["authorization", "ServiceRegistry", "mscv"])
def test_register_system_reserved_is_400(app, client, name):
    response = client.post(
        "/serviceregistry/register-system", json=helpers.system_body(name)
    )
    assert_error(response, 400)
    assert row_counts(app)["system_"] == 0


def test_register_system_other_name_is_401(secure_client):
    response = secure_client.post(
        "/serviceregistry/register-system",
        json=helpers.system_body("consumer"),
        environ_overrides=helpers.caller("other"),
    )
    assert_error(response, 401)


def test_register_system_by_choreographer(secure_client):
    response = secure_client.post(
        "/serviceregistry/register-system",
        json=helpers.system_body("consumer"),
        environ_overrides=helpers.caller("choreographer"),
    )
    assert response.status_code == 201


def test_unregister_system_cascades(app, client):
    register(client)
    response = client.delete(
        "/serviceregistry/unregister-system",
        query_string={"system_name": "sensor", "address": "127.0.0.1", "port": 8080},
    )
    assert response.status_code == 200
    counts = row_counts(app)
    assert counts["system_"] == 0
    assert counts["service_registry"] == 0
    assert counts["service_definition"] == 1


def test_unregister_system_unknown_is_400(client):
    response = client.delete(
        "/serviceregistry/unregister-system",
        query_string={"system_name": "sensor", "address": "127.0.0.1", "port": 8080},
    )
    assert_error(response, 400)


def test_unregister_system_missing_address_is_400(client):
    response = client.delete(
        "/serviceregistry/unregister-system",
        query_string={"system_name": "sensor", "port": 8080},
    )
    assert_error(response, 400)


def test_pull_systems_paged(client):
    for port in (1, 2, 3):
        client.post(SYSTEMS, json=helpers.system_body("s", port))
    response = client.get(
        "/serviceregistry/pull-systems",
        query_string={
            "page": 0,
            "item_per_page": 2,
            "sort_field": "port",
            "direction": "DESC",
        },
    )
    assert response.status_code == 200
    assert response.json["count"] == 3
    assert [item["port"] for item in response.json["data"]] == [3, 2]


def test_pull_systems_only_plant_description_engine(secure_client):
    response = secure_client.get(
        "/serviceregistry/pull-systems",
        environ_overrides=helpers.caller("orchestrator"),
    )
    assert_error(response, 401)


def test_mgmt_system_create_and_get(client):
    created = client.post(SYSTEMS, json=helpers.system_body("sensor"))
    assert created.status_code == 201
    response = client.get(f"{SYSTEMS}/{created.json['id']}")
    assert response.status_code == 200
    assert response.json["systemName"] == "sensor"


def test_mgmt_system_list_sorted_by_name(client):
    client.post(SYSTEMS, json=helpers.system_body("b"))
    client.post(SYSTEMS, json=helpers.system_body("a"))
    response = client.get(SYSTEMS, query_string={"sort_field": "systemName"})
    assert [item["systemName"] for item in response.json["data"]] == ["a", "b"]
    assert response.json["count"] == 2


def test_mgmt_system_put_replaces_nulls(client):
    client.post(
        SYSTEMS,
        json=helpers.system_body(
            "sensor", authenticationInfo="key", metadata={"a": "1"}
        ),
    )
    response = client.put(f"{SYSTEMS}/1", json=helpers.system_body("sensor", 9090))
    assert response.status_code == 200
    assert response.json["port"] == 9090
    assert response.json["authenticationInfo"] == ""
    assert response.json["metadata"] == {}


def test_mgmt_system_patch_keeps_others(client):
    client.post(
        SYSTEMS,
        json=helpers.system_body(
            "sensor", authenticationInfo="key", metadata={"a": "1"}
        ),
    )
    response = client.patch(f"{SYSTEMS}/1", json={"address": "Sensor.Example.com"})
    assert response.status_code == 200
    assert response.json["address"] == "sensor.example.com"
    assert response.json["authenticationInfo"] == "key"
    assert response.json["metadata"] == {"a": "1"}


def test_mgmt_system_patch_empty_is_400(client):
    client.post(SYSTEMS, json=helpers.system_body("sensor"))
    assert_error(client.patch(f"{SYSTEMS}/1", json={}), 400)


def test_mgmt_system_patch_to_duplicate_is_400(client):
    client.post(SYSTEMS, json=helpers.system_body("sensor", 1))
    client.post(SYSTEMS, json=helpers.system_body("sensor", 2))
    response = client.patch(f"{SYSTEMS}/2", json={"port": 1})
    assert_error(response, 400)
    assert client.get(f"{SYSTEMS}/2").json["port"] == 2


def test_mgmt_system_put_reserved_is_400(client):
    client.post(SYSTEMS, json=helpers.system_body("sensor"))
    response = client.put(f"{SYSTEMS}/1", json=helpers.system_body("gatekeeper"))
    assert_error(response, 400)


@pytest.mark.parametrize("system_id", ["0", "-3", "17", "4294967296"])
def test_mgmt_system_unknown_is_400(client, system_id):
    assert_error(client.get(f"{SYSTEMS}/{system_id}"), 400)
    assert_error(client.delete(f"{SYSTEMS}/{system_id}"), 400)


def _insert_rules(app) -> None:
    """Add an authorization rule 1->2 and store rules with system 1 as consumer
    and as provider."""
    with app.app_context():
        for statement in (
            "INSERT INTO authorization_intra_cloud (consumer_system_id, "
            "provider_system_id, service_id, created_at, updated_at) "
            "VALUES (1, 2, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            "INSERT INTO orchestrator_store (consumer_system_id, provider_system_id, "
            "foreign_, service_id, service_interface_id, priority, created_at, "
            "updated_at) VALUES (1, 2, false, 1, 1, 1, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)",
            "INSERT INTO orchestrator_store (consumer_system_id, provider_system_id, "
            "foreign_, service_id, service_interface_id, priority, created_at, "
            "updated_at) VALUES (2, 1, false, 1, 1, 1, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)",
        ):
            db.session.execute(text(statement))
        db.session.commit()


def _count(app, table: str) -> int:
    with app.app_context():
        return db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def test_mgmt_system_delete_cascades(app, client):
    register(client, provider="consumer", port=1)
    register(client, provider="provider", port=2)
    _insert_rules(app)
    response = client.delete(f"{SYSTEMS}/1")
    assert response.status_code == 200
    assert _count(app, "system_") == 1
    assert _count(app, "service_registry") == 1
    assert _count(app, "authorization_intra_cloud") == 0
    # The rule where system 1 is consumer goes; the one where it is provider stays.
    assert _count(app, "orchestrator_store") == 1


def test_mgmt_systems_denied_to_application(secure_client):
    response = secure_client.post(
        SYSTEMS, json=helpers.system_body("x"), environ_overrides=helpers.caller("x")
    )
    assert_error(response, 401)


# Private endpoints ------------------------------------------------------------


def test_query_system_by_id(client):
    register(client)
    response = client.get("/serviceregistry/query/system/1")
    assert response.status_code == 200
    assert response.json["systemName"] == "sensor"


@pytest.mark.parametrize("system_id", ["0", "9"])
def test_query_system_by_id_unknown_is_400(client, system_id):
    assert_error(client.get(f"/serviceregistry/query/system/{system_id}"), 400)


def test_query_system_by_body(client):
    register(client)
    response = client.post(
        "/serviceregistry/query/system", json=helpers.system_body("SENSOR")
    )
    assert response.status_code == 200
    assert response.json["id"] == 1


def test_query_system_by_body_unknown_is_400(client):
    response = client.post(
        "/serviceregistry/query/system", json=helpers.system_body("sensor")
    )
    assert_error(response, 400)


def test_query_system_only_orchestrator(secure_client):
    response = secure_client.get(
        "/serviceregistry/query/system/1", environ_overrides=helpers.caller("sensor")
    )
    assert_error(response, 401)


def test_query_all(client):
    register(client, port=1)
    register(client, "humidity", port=2)
    response = client.get("/serviceregistry/query/all")
    assert response.status_code == 200
    assert response.json["count"] == 2
    assert [item["id"] for item in response.json["data"]] == [1, 2]


def test_query_provider(client):
    register(client, port=1)
    register(client, "humidity", port=1)
    register(client, port=2)
    response = client.get("/serviceregistry/query/provider/1")
    assert [item["id"] for item in response.json["data"]] == [1, 2]
    assert_error(client.get("/serviceregistry/query/provider/9"), 400)


def test_query_definition_list(client):
    register(client, port=1)
    register(client, "humidity", port=1)
    response = client.post(
        "/serviceregistry/query/definition", json=["Humidity", "unknown"]
    )
    assert response.status_code == 200
    assert [item["id"] for item in response.json["data"]] == [2]


def test_query_definition_needs_array(client):
    response = client.post("/serviceregistry/query/definition", json={"a": 1})
    assert_error(response, 400)


def test_pull_config(secure_client):
    response = secure_client.get(
        "/serviceregistry/pull-config", environ_overrides=helpers.caller("gatekeeper")
    )
    assert response.status_code == 200
    assert response.json == {
        "map": {
            "use_strict_service_definition_verifier": "true",
            "allow_self_addressing": "true",
            "allow_non_routable_addressing": "true",
        }
    }


def test_pull_config_denied_to_application(secure_client):
    response = secure_client.get(
        "/serviceregistry/pull-config", environ_overrides=helpers.caller("sensor")
    )
    assert_error(response, 401)
