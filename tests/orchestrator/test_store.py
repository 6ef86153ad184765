"""Store rule management and store-based orchestration."""

import pytest

from arrowhead_lite.extensions import db
from tests.orchestrator import factories

STORE = "/orchestrator/mgmt/store"


@pytest.fixture
def world(app):
    """A consumer, four providers of the definition, rules for providers 0-2."""
    with app.app_context():
        consumer = factories.system("consumer", 9000)
        providers = [factories.system(f"provider-{i}", 8080 + i) for i in range(4)]
        for index, provider in enumerate(providers):
            factories.entry(provider)
            if index < 3:
                factories.rule(consumer, provider)
        factories.definition("other-service")
        db.session.commit()
        return {
            "consumer_id": consumer.id,
            "provider_ids": [provider.id for provider in providers],
        }


def _add(client, consumer_id, *providers_and_priorities, **extra):
    body = [
        factories.store_rule_body(consumer_id, name, priority, port=port, **extra)
        for name, port, priority in providers_and_priorities
    ]
    return client.post(STORE, json=body)


def _priorities(client) -> dict[str, int]:
    data = client.get(STORE).json["data"]
    return {rule["providerSystem"]["systemName"]: rule["priority"] for rule in data}


def test_store_create_response(world, client):
    response = _add(client, world["consumer_id"], ("provider-0", 8080, 1))

    assert response.status_code == 200
    assert response.json["count"] == 1
    rule = response.json["data"][0]
    assert rule["priority"] == 1
    assert rule["foreign"] is False
    assert rule["providerCloud"] is None
    assert rule["consumerSystem"]["systemName"] == "consumer"
    assert rule["serviceDefinition"]["serviceDefinition"] == factories.DEFINITION
    assert rule["serviceInterface"]["interfaceName"] == "HTTP-SECURE-JSON"


def test_store_first_rule_gets_priority_one(world, client):
    response = _add(client, world["consumer_id"], ("provider-0", 8080, 5))

    assert response.json["data"][0]["priority"] == 1


def test_store_free_priority_appends(world, client):
    _add(client, world["consumer_id"], ("provider-0", 8080, 1))

    response = _add(client, world["consumer_id"], ("provider-1", 8081, 7))

    assert response.json["data"][0]["priority"] == 2


def test_store_taken_priority_shifts(world, client):
    _add(
        client,
        world["consumer_id"],
        ("provider-0", 8080, 1),
        ("provider-1", 8081, 2),
        ("provider-2", 8082, 3),
    )

    response = _add(client, world["consumer_id"], ("provider-3", 8083, 1))

    assert response.status_code == 200
    assert _priorities(client) == {
        "provider-3": 1,
        "provider-0": 2,
        "provider-1": 3,
        "provider-2": 4,
    }


def test_store_invalid_elements_reported(world, client):
    body = [
        factories.store_rule_body(world["consumer_id"], "provider-0", 1),
        factories.store_rule_body(999, "provider-1", 1, port=8081),
        factories.store_rule_body(
            world["consumer_id"], "ghost", 1, port=7000, service="other-service"
        ),
        factories.store_rule_body(world["consumer_id"], "provider-2", 0, port=8082),
    ]

    response = client.post(STORE, json=body)

    assert response.status_code == 400
    message = response.json["errorMessage"]
    assert "element 0" not in message
    assert "element 1: consumer system with id 999 not found" in message
    assert "element 2: provider ghost" in message
    assert "element 3: priority 0 is below 1" in message


def test_store_invalid_elements_store_nothing(world, client):
    body = [
        factories.store_rule_body(world["consumer_id"], "provider-0", 1),
        factories.store_rule_body(world["consumer_id"], "provider-1", 1, port=1),
    ]

    client.post(STORE, json=body)

    assert client.get(STORE).json["count"] == 0


def test_store_unknown_definition_and_interface(world, client):
    body = [
        factories.store_rule_body(world["consumer_id"], "provider-0", service="nope"),
        factories.store_rule_body(
            world["consumer_id"], "provider-0", interface_name="COAP-SECURE-CBOR"
        ),
    ]

    response = client.post(STORE, json=body)

    assert response.status_code == 400
    assert "element 0: service definition nope" in response.json["errorMessage"]
    assert "element 1: interface COAP-SECURE-CBOR" in response.json["errorMessage"]


def test_store_foreign_cloud_rejected(world, client):
    response = _add(
        client,
        world["consumer_id"],
        ("provider-0", 8080, 1),
        cloud={"operator": "other", "name": "cloud"},
    )

    assert response.status_code == 400
    assert "Gatekeeper" in response.json["errorMessage"]


def test_store_duplicate_rule_rejected(world, client):
    _add(client, world["consumer_id"], ("provider-0", 8080, 1))

    response = _add(client, world["consumer_id"], ("provider-0", 8080, 2))

    assert response.status_code == 400
    assert client.get(STORE).json["count"] == 1


def test_store_duplicate_within_request(world, client):
    response = _add(
        client,
        world["consumer_id"],
        ("provider-0", 8080, 1),
        ("provider-0", 8080, 2),
    )

    assert response.status_code == 400
    assert "element 1" in response.json["errorMessage"]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {},
        [{"consumerSystemId": 1}],
        [{"priority": "1"}],
        [factories.store_rule_body(2**31, "provider-0")],
        [factories.store_rule_body(1, "provider-0", 2**31)],
    ],
    ids=[
        "empty list",
        "object",
        "missing fields",
        "string priority",
        "huge consumer id",
        "huge priority",
    ],
)
def test_store_malformed_bodies(world, client, body):
    response = client.post(STORE, json=body)

    assert response.status_code == 400


def test_store_get_and_delete(world, client):
    created = _add(client, world["consumer_id"], ("provider-0", 8080, 1))
    rule_id = created.json["data"][0]["id"]

    assert client.get(f"{STORE}/{rule_id}").json["id"] == rule_id
    assert client.delete(f"{STORE}/{rule_id}").status_code == 200
    assert client.get(f"{STORE}/{rule_id}").status_code == 400


@pytest.mark.parametrize("path", ["0", "-1", "12345", "99999999999999999999"])
def test_store_bad_ids_are_400(world, client, path):
    assert client.get(f"{STORE}/{path}").status_code == 400
    assert client.delete(f"{STORE}/{path}").status_code == 400


def test_store_delete_moves_later_rules_up(world, client):
    created = _add(
        client,
        world["consumer_id"],
        ("provider-0", 8080, 1),
        ("provider-1", 8081, 2),
        ("provider-2", 8082, 3),
    )
    first = created.json["data"][0]["id"]

    client.delete(f"{STORE}/{first}")

    assert _priorities(client) == {"provider-1": 1, "provider-2": 2}


def test_store_list_paging_and_sorting(world, client):
    _add(
        client,
        world["consumer_id"],
        ("provider-0", 8080, 1),
        ("provider-1", 8081, 2),
        ("provider-2", 8082, 3),
    )

    response = client.get(
        f"{STORE}?page=0&item_per_page=2&sort_field=priority&direction=DESC"
    )

    assert response.json["count"] == 3
    assert [rule["priority"] for rule in response.json["data"]] == [3, 2]


def test_store_list_bad_sort_field(world, client):
    assert client.get(f"{STORE}?sort_field=name").status_code == 400


def test_store_all_top_priority(world, client):
    _add(client, world["consumer_id"], ("provider-0", 8080, 1), ("provider-1", 8081, 2))

    response = client.get(f"{STORE}/all_top_priority")

    assert response.json["count"] == 1
    assert response.json["data"][0]["providerSystem"]["systemName"] == "provider-0"


def test_store_all_by_consumer(world, client):
    _add(client, world["consumer_id"], ("provider-0", 8080, 1), ("provider-1", 8081, 2))
    body = {
        "consumerSystemId": world["consumer_id"],
        "serviceDefinitionName": factories.DEFINITION,
        "serviceInterfaceName": "HTTP-SECURE-JSON",
    }

    response = client.post(f"{STORE}/all_by_consumer", json=body)

    assert response.status_code == 200
    assert response.json["count"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"consumerSystemId": 999, "serviceDefinitionName": factories.DEFINITION},
        {"consumerSystemId": 1, "serviceDefinitionName": "nope"},
        {
            "consumerSystemId": 1,
            "serviceDefinitionName": factories.DEFINITION,
            "serviceInterfaceName": "COAP-SECURE-CBOR",
        },
    ],
    ids=["unknown consumer", "unknown definition", "unknown interface"],
)
def test_store_all_by_consumer_unknown(world, client, body):
    response = client.post(f"{STORE}/all_by_consumer", json=body)

    assert response.status_code == 400


def _three_rules(client, consumer_id) -> list[int]:
    created = _add(
        client,
        consumer_id,
        ("provider-0", 8080, 1),
        ("provider-1", 8081, 2),
        ("provider-2", 8082, 3),
    )
    return [rule["id"] for rule in created.json["data"]]


def test_store_modify_priorities(world, client):
    ids = _three_rules(client, world["consumer_id"])
    priority_map = {str(ids[0]): 3, str(ids[1]): 1, str(ids[2]): 2}

    response = client.post(
        f"{STORE}/modify_priorities", json={"priorityMap": priority_map}
    )

    assert response.status_code == 200
    assert _priorities(client) == {"provider-0": 3, "provider-1": 1, "provider-2": 2}


@pytest.mark.parametrize(
    "case",
    [
        "duplicate",
        "missing rule",
        "unknown id",
        "zero",
        "empty",
        "not id",
        "huge",
        "huge id",
    ],
)
def test_store_modify_priorities_rejected(world, client, case):
    ids = _three_rules(client, world["consumer_id"])
    priority_map = {
        "duplicate": {str(ids[0]): 1, str(ids[1]): 1, str(ids[2]): 2},
        "missing rule": {str(ids[0]): 2, str(ids[1]): 1},
        "unknown id": {str(ids[0]): 1, str(ids[1]): 2, "999": 3},
        "zero": {str(ids[0]): 0, str(ids[1]): 1, str(ids[2]): 2},
        "empty": {},
        "not id": {"x": 1},
        "huge": {str(ids[0]): 2**31, str(ids[1]): 1, str(ids[2]): 2},
        "huge id": {str(ids[0]): 1, str(ids[1]): 2, str(2**40): 3},
    }[case]

    response = client.post(
        f"{STORE}/modify_priorities", json={"priorityMap": priority_map}
    )

    assert response.status_code == 400
    assert _priorities(client) == {"provider-0": 1, "provider-1": 2, "provider-2": 3}


def test_store_modify_priorities_other_group(world, client):
    ids = _three_rules(client, world["consumer_id"])
    other = _add(
        client,
        world["consumer_id"],
        ("provider-0", 8080, 1),
        interface_name="HTTP-INSECURE-JSON",
    ).json["data"][0]["id"]

    response = client.post(
        f"{STORE}/modify_priorities",
        json={"priorityMap": {str(ids[0]): 1, str(other): 2}},
    )

    assert response.status_code == 400


def test_store_deleted_provider_shown_unknown(world, client):
    rule_id = _add(client, world["consumer_id"], ("provider-3", 8083, 1)).json["data"][
        0
    ]["id"]
    provider_id = world["provider_ids"][3]
    client.delete(f"/serviceregistry/mgmt/systems/{provider_id}")

    rule = client.get(f"{STORE}/{rule_id}").json

    assert rule["providerSystem"]["systemName"] == f"unknown-{provider_id}"


def _store_form(interface="HTTP-SECURE-JSON"):
    body = factories.form(interfaceRequirements=[interface])
    body["orchestrationFlags"] = {"overrideStore": False}
    return body


def _names(response) -> list[str]:
    return [result["provider"]["systemName"] for result in response.json["response"]]


def test_store_orchestration_top_priority_rule(world, client):
    _three_rules(client, world["consumer_id"])

    response = client.post("/orchestrator/orchestration", json=_store_form())

    assert response.status_code == 200
    assert _names(response) == ["provider-0"]


def test_store_orchestration_skips_unauthorized(world, client):
    _add(
        client,
        world["consumer_id"],
        ("provider-3", 8083, 1),
        ("provider-1", 8081, 2),
    )

    response = client.post("/orchestrator/orchestration", json=_store_form())

    assert _names(response) == ["provider-1"]


def test_store_orchestration_follows_priorities(world, client):
    ids = _three_rules(client, world["consumer_id"])
    client.post(
        f"{STORE}/modify_priorities",
        json={"priorityMap": {str(ids[0]): 3, str(ids[1]): 2, str(ids[2]): 1}},
    )

    response = client.post("/orchestrator/orchestration", json=_store_form())

    assert _names(response) == ["provider-2"]


def test_store_orchestration_no_rules_is_empty(world, client):
    response = client.post("/orchestrator/orchestration", json=_store_form())

    assert response.status_code == 200
    assert response.json == {"response": []}


def test_store_orchestration_unknown_interface_is_400(world, client):
    response = client.post(
        "/orchestrator/orchestration", json=_store_form("COAP-SECURE-CBOR")
    )

    assert response.status_code == 400


def test_store_orchestration_without_service(world, client):
    _add(client, world["consumer_id"], ("provider-0", 8080, 1), ("provider-1", 8081, 2))
    _add(
        client,
        world["consumer_id"],
        ("provider-2", 8082, 1),
        interface_name="HTTP-SECURE-JSON",
        service=factories.DEFINITION,
    )
    body = factories.form(None)
    body["orchestrationFlags"] = {}

    response = client.post("/orchestrator/orchestration", json=body)

    assert response.status_code == 200
    assert _names(response) == ["provider-2"]


def test_store_orchestration_without_service_all_groups(world, client):
    _add(client, world["consumer_id"], ("provider-0", 8080, 1))
    _add(
        client,
        world["consumer_id"],
        ("provider-1", 8081, 1),
        interface_name="HTTP-INSECURE-JSON",
    )
    body = factories.form(None)
    body["orchestrationFlags"] = {}

    response = client.post("/orchestrator/orchestration", json=body)

    assert _names(response) == ["provider-0"]


def test_store_orchestration_by_consumer_id(world, client):
    _three_rules(client, world["consumer_id"])

    response = client.get(f"/orchestrator/orchestration/{world['consumer_id']}")

    assert response.status_code == 200
    assert _names(response) == ["provider-0"]


@pytest.mark.parametrize("consumer_id", ["0", "999", "4294967296"])
def test_store_orchestration_by_bad_id(world, client, consumer_id):
    response = client.get(f"/orchestrator/orchestration/{consumer_id}")

    assert response.status_code == 400
