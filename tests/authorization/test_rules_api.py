"""/authorization/mgmt/intracloud: list, create, get and delete rules."""

import pytest
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select

from arrowhead_lite.authorization.models import AuthorizationRule
from arrowhead_lite.authorization.models import rule_interface
from arrowhead_lite.extensions import db
from arrowhead_lite.registry.models import ServiceDefinition
from arrowhead_lite.registry.models import ServiceInterface
from arrowhead_lite.registry.models import System
from tests.authorization import factories

BASE = "/authorization/mgmt/intracloud"
RULE_KEYS = {
    "id",
    "consumerSystem",
    "providerSystem",
    "serviceDefinition",
    "interfaces",
    "createdAt",
    "updatedAt",
}


@pytest.fixture
def ids(app):
    """Create a consumer, two providers, two definitions and two interfaces."""
    with app.app_context():
        rows = {
            "consumer": factories.system("consumer"),
            "provider1": factories.system("provider1", 9001),
            "provider2": factories.system("provider2", 9002),
            "temperature": factories.definition("temperature"),
            "humidity": factories.definition("humidity"),
            "json": factories.interface("HTTP-SECURE-JSON"),
            "cbor": factories.interface("COAP-SECURE-CBOR"),
        }
        result = {name: row.id for name, row in rows.items()}
        db.session.commit()
    return result


def rule_body(
    ids, providers=("provider1",), definitions=("temperature",), interfaces=("json",)
):
    return {
        "consumerId": ids["consumer"],
        "providerIds": [ids[name] for name in providers],
        "serviceDefinitionIds": [ids[name] for name in definitions],
        "interfaceIds": [ids[name] for name in interfaces],
    }


def rule_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(AuthorizationRule.id))).scalar_one()


def test_create_rule(client, ids):
    response = client.post(BASE, json=rule_body(ids))

    assert response.status_code == 201
    assert response.json["count"] == 1
    rule = response.json["data"][0]
    assert set(rule) == RULE_KEYS
    assert rule["consumerSystem"]["id"] == ids["consumer"]
    assert rule["providerSystem"]["id"] == ids["provider1"]
    assert rule["serviceDefinition"]["serviceDefinition"] == "temperature"
    assert [item["interfaceName"] for item in rule["interfaces"]] == [
        "HTTP-SECURE-JSON"
    ]


def test_create_one_provider_many_definitions(client, ids):
    body = rule_body(ids, definitions=("temperature", "humidity"))

    response = client.post(BASE, json=body)

    assert response.json["count"] == 2


def test_create_many_providers_many_interfaces(client, ids):
    body = rule_body(
        ids, providers=("provider1", "provider2"), interfaces=("json", "cbor")
    )

    response = client.post(BASE, json=body)

    assert response.json["count"] == 2
    for rule in response.json["data"]:
        assert len(rule["interfaces"]) == 2


def test_create_cross_product(client, ids):
    body = rule_body(
        ids,
        providers=("provider1", "provider2"),
        definitions=("temperature", "humidity"),
    )

    response = client.post(BASE, json=body)

    assert response.status_code == 201
    pairs = {
        (rule["providerSystem"]["id"], rule["serviceDefinition"]["id"])
        for rule in response.json["data"]
    }
    assert len(pairs) == 4


def test_create_existing_rule_skipped(app, client, ids):
    client.post(BASE, json=rule_body(ids))

    response = client.post(
        BASE, json=rule_body(ids, providers=("provider1", "provider2"))
    )

    assert response.status_code == 201
    assert response.json["count"] == 1
    assert response.json["data"][0]["providerSystem"]["id"] == ids["provider2"]
    assert rule_count(app) == 2


def test_create_same_rule_twice_empty_list(client, ids):
    client.post(BASE, json=rule_body(ids))

    response = client.post(BASE, json=rule_body(ids))

    assert response.status_code == 201
    assert response.json == {"data": [], "count": 0}


def test_create_unknown_ids_creates_nothing(app, client, ids):
    body = rule_body(ids, providers=("provider1",))
    body["providerIds"].append(990)
    body["serviceDefinitionIds"].append(991)
    body["interfaceIds"].append(992)

    response = client.post(BASE, json=body)

    assert response.status_code == 400
    assert response.json["exceptionType"] == "INVALID_PARAMETER"
    message = response.json["errorMessage"]
    assert "provider systems 990" in message
    assert "service definitions 991" in message
    assert "interfaces 992" in message
    assert rule_count(app) == 0


def test_create_unknown_consumer(client, ids):
    body = rule_body(ids)
    body["consumerId"] = 999

    response = client.post(BASE, json=body)

    assert response.status_code == 400
    assert "consumer system 999" in response.json["errorMessage"]


def test_create_drops_non_positive_ids(client, ids):
    body = rule_body(ids)
    body["providerIds"] += [0, -4]

    response = client.post(BASE, json=body)

    assert response.status_code == 201
    assert response.json["count"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("consumerId", None),
        ("consumerId", 0),
        ("providerIds", []),
        ("providerIds", [0]),
        ("serviceDefinitionIds", None),
        ("interfaceIds", []),
    ],
)
def test_create_invalid_payload(app, client, ids, field, value):
    body = rule_body(ids)
    body[field] = value

    response = client.post(BASE, json=body)

    assert response.status_code == 400
    assert response.json["exceptionType"] == "BAD_PAYLOAD"
    assert response.json["errorMessage"].startswith("Payload is invalid")
    assert rule_count(app) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("consumerId", "1"), ("providerIds", "1"), ("interfaceIds", [True])],
)
def test_create_wrong_types(client, ids, field, value):
    body = rule_body(ids)
    body[field] = value

    response = client.post(BASE, json=body)

    assert response.status_code == 400
    assert response.json["exceptionType"] == "BAD_PAYLOAD"


def test_create_empty_body(client):
    response = client.post(BASE, data="", content_type="application/json")

    assert response.status_code == 400


def test_list_rules(client, ids):
    client.post(BASE, json=rule_body(ids, providers=("provider1", "provider2")))

    response = client.get(BASE)

    assert response.status_code == 200
    assert response.json["count"] == 2
    assert [rule["providerSystem"]["id"] for rule in response.json["data"]] == [
        ids["provider1"],
        ids["provider2"],
    ]


def test_list_rules_paged_descending(client, ids):
    client.post(BASE, json=rule_body(ids, providers=("provider1", "provider2")))

    response = client.get(f"{BASE}?page=0&item_per_page=1&direction=DESC")

    assert response.json["count"] == 2
    assert len(response.json["data"]) == 1
    assert response.json["data"][0]["providerSystem"]["id"] == ids["provider2"]


def test_list_rules_unknown_sort_field(client):
    response = client.get(f"{BASE}?sort_field=consumer")

    assert response.status_code == 400


def test_list_rules_page_without_size(client):
    response = client.get(f"{BASE}?page=1")

    assert response.status_code == 400


def test_get_rule(client, ids):
    rule_id = client.post(BASE, json=rule_body(ids)).json["data"][0]["id"]

    response = client.get(f"{BASE}/{rule_id}")

    assert response.status_code == 200
    assert response.json["id"] == rule_id
    assert set(response.json) == RULE_KEYS


def test_get_unknown_rule(client):
    response = client.get(f"{BASE}/77")

    assert response.status_code == 400
    assert response.json["errorMessage"] == (
        "AuthorizationIntraCloud with id of '77' not exists"
    )


@pytest.mark.parametrize("rule_id", ["0", "-3", "abc"])
def test_get_invalid_id(client, rule_id):
    response = client.get(f"{BASE}/{rule_id}")

    assert response.status_code == 400


@pytest.mark.parametrize("rule_id", [2**31, 2**63, 10**30])
@pytest.mark.parametrize("method", ["get", "delete"])
def test_rule_id_beyond_integer_range(client, method, rule_id):
    response = getattr(client, method)(f"{BASE}/{rule_id}")

    assert response.status_code == 400
    assert response.json["exceptionType"] == "INVALID_PARAMETER"


@pytest.mark.parametrize(
    "field", ["consumerId", "providerIds", "serviceDefinitionIds", "interfaceIds"]
)
@pytest.mark.parametrize("value", [2**31, 2**63])
def test_create_id_beyond_integer_range(app, client, ids, field, value):
    body = rule_body(ids)
    body[field] = value if field == "consumerId" else [*body[field], value]

    response = client.post(BASE, json=body)

    assert response.status_code == 400
    assert response.json["exceptionType"] == "INVALID_PARAMETER"
    assert str(value) in response.json["errorMessage"]
    assert rule_count(app) == 0


def test_delete_rule(app, client, ids):
    rule_id = client.post(BASE, json=rule_body(ids)).json["data"][0]["id"]

    response = client.delete(f"{BASE}/{rule_id}")

    assert response.status_code == 200
    assert response.get_data() == b""
    assert client.get(f"{BASE}/{rule_id}").status_code == 400
    with app.app_context():
        links = db.session.execute(select(func.count()).select_from(rule_interface))
        assert links.scalar_one() == 0


def test_delete_unknown_rule(client):
    response = client.delete(f"{BASE}/77")

    assert response.status_code == 400


def test_deleting_consumer_removes_rules(app, client, ids):
    client.post(BASE, json=rule_body(ids))

    with app.app_context():
        db.session.execute(delete(System).where(System.id == ids["consumer"]))
        db.session.commit()

    assert rule_count(app) == 0


def test_deleting_provider_removes_rules(app, client, ids):
    client.post(BASE, json=rule_body(ids, providers=("provider1", "provider2")))

    with app.app_context():
        db.session.execute(delete(System).where(System.id == ids["provider1"]))
        db.session.commit()

    assert rule_count(app) == 1


def test_deleting_definition_removes_rules(app, client, ids):
    client.post(BASE, json=rule_body(ids, definitions=("temperature", "humidity")))

    with app.app_context():
        db.session.execute(
            delete(ServiceDefinition).where(ServiceDefinition.id == ids["temperature"])
        )
        db.session.commit()

    assert rule_count(app) == 1


def test_deleting_interface_removes_its_links(app, client, ids):
    rule_id = client.post(BASE, json=rule_body(ids, interfaces=("json", "cbor"))).json[
        "data"
    ][0]["id"]

    with app.app_context():
        db.session.execute(
            delete(ServiceInterface).where(ServiceInterface.id == ids["cbor"])
        )
        db.session.commit()

    interfaces = client.get(f"{BASE}/{rule_id}").json["interfaces"]
    assert [item["interfaceName"] for item in interfaces] == ["HTTP-SECURE-JSON"]


def test_create_rule_inserted_concurrently(app, ids, monkeypatch):
    from arrowhead_lite.authorization import services
    from arrowhead_lite.extensions import utcnow

    check_ids_exist = services._check_ids_exist

    def check_then_insert_elsewhere(*args):
        check_ids_exist(*args)
        # Another request commits the same rule on its own connection.
        with db.engine.begin() as connection:
            connection.execute(
                AuthorizationRule.__table__.insert().values(
                    consumer_system_id=ids["consumer"],
                    provider_system_id=ids["provider1"],
                    service_id=ids["temperature"],
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )

    monkeypatch.setattr(services, "_check_ids_exist", check_then_insert_elsewhere)

    with app.app_context():
        created = services.create_rules(
            ids["consumer"],
            [ids["provider1"], ids["provider2"]],
            [ids["temperature"]],
            [ids["json"]],
        )
        provider_ids = [rule.provider_system_id for rule in created]

    assert provider_ids == [ids["provider2"]]
    assert rule_count(app) == 2


def test_create_definitions_times_interfaces(client, ids):
    body = rule_body(
        ids, definitions=("temperature", "humidity"), interfaces=("json", "cbor")
    )

    response = client.post(BASE, json=body)

    assert response.json["count"] == 2
    for rule in response.json["data"]:
        assert len(rule["interfaces"]) == 2
