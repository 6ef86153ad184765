"""POST /authorization/intracloud/check."""

import pytest

from arrowhead_lite.extensions import db
from tests.authorization import factories

URL = "/authorization/intracloud/check"


@pytest.fixture
def ids(app):
    """Create a consumer, two providers with rules, a definition and interfaces."""
    with app.app_context():
        consumer = factories.system("consumer")
        provider1 = factories.system("provider1", 9001)
        provider2 = factories.system("provider2", 9002)
        unruled = factories.system("unruled", 9003)
        temperature = factories.definition("temperature")
        json_interface = factories.interface("HTTP-SECURE-JSON")
        cbor_interface = factories.interface("COAP-SECURE-CBOR")
        factories.rule(consumer, provider1, temperature, [json_interface])
        factories.rule(
            consumer, provider2, temperature, [json_interface, cbor_interface]
        )
        result = {
            "consumer": consumer.id,
            "provider1": provider1.id,
            "provider2": provider2.id,
            "unruled": unruled.id,
            "temperature": temperature.id,
            "json": json_interface.id,
            "cbor": cbor_interface.id,
        }
        db.session.commit()
    return result


def check_body(ids, providers, consumer="consumer", port=8080):
    return {
        "consumer": {"systemName": consumer, "address": "127.0.0.1", "port": port},
        "serviceDefinitionId": ids["temperature"],
        "providerIdsWithInterfaceIds": [
            {"id": provider_id, "idList": interface_ids}
            for provider_id, interface_ids in providers
        ],
    }


def test_check_returns_allowed_interfaces(client, ids):
    body = check_body(
        ids,
        [
            (ids["provider1"], [ids["json"], ids["cbor"]]),
            (ids["provider2"], [ids["cbor"], ids["json"]]),
        ],
    )

    response = client.post(URL, json=body)

    assert response.status_code == 200
    assert response.json["authorizedProviderIdsWithInterfaceIds"] == [
        {"id": ids["provider1"], "idList": [ids["json"]]},
        {"id": ids["provider2"], "idList": [ids["cbor"], ids["json"]]},
    ]


def test_check_response_shape(client, ids):
    body = check_body(ids, [(ids["provider1"], [ids["json"]])])

    response = client.post(URL, json=body)

    assert response.json["consumer"]["id"] == ids["consumer"]
    assert response.json["consumer"]["systemName"] == "consumer"
    assert response.json["serviceDefinitionId"] == ids["temperature"]


def test_check_omits_unauthorized_providers(client, ids):
    body = check_body(
        ids,
        [
            (ids["unruled"], [ids["json"]]),
            (ids["provider1"], [ids["cbor"]]),
            (999, [ids["json"]]),
        ],
    )

    response = client.post(URL, json=body)

    assert response.status_code == 200
    assert response.json["authorizedProviderIdsWithInterfaceIds"] == []


def test_check_consumer_name_case_insensitive(client, ids):
    body = check_body(ids, [(ids["provider1"], [ids["json"]])], consumer=" Consumer ")

    response = client.post(URL, json=body)

    assert response.status_code == 200
    assert len(response.json["authorizedProviderIdsWithInterfaceIds"]) == 1


def test_check_unregistered_consumer(client, ids):
    body = check_body(ids, [(ids["provider1"], [ids["json"]])], port=1234)

    response = client.post(URL, json=body)

    assert response.status_code == 400
    assert response.json["errorMessage"] == (
        "Consumer with name: consumer, address: 127.0.0.1 and port: 1234 is not "
        "exist in the database."
    )


def test_check_unknown_definition(client, ids):
    body = check_body(ids, [(ids["provider1"], [ids["json"]])])
    body["serviceDefinitionId"] = 999

    response = client.post(URL, json=body)

    assert response.status_code == 400
    assert response.json["exceptionType"] == "INVALID_PARAMETER"


@pytest.mark.parametrize("value", [2**31, 2**63])
def test_check_definition_id_beyond_integer_range(client, ids, value):
    body = check_body(ids, [(ids["provider1"], [ids["json"]])])
    body["serviceDefinitionId"] = value

    response = client.post(URL, json=body)

    assert response.status_code == 400
    assert response.json["exceptionType"] == "INVALID_PARAMETER"


@pytest.mark.parametrize("value", [2**31, 2**63])
def test_check_provider_id_beyond_integer_range(client, ids, value):
    body = check_body(ids, [(value, [ids["json"]]), (ids["provider1"], [value])])

    response = client.post(URL, json=body)

    assert response.status_code == 200
    assert response.json["authorizedProviderIdsWithInterfaceIds"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("consumer", None),
        ("serviceDefinitionId", None),
        ("serviceDefinitionId", 0),
        ("providerIdsWithInterfaceIds", []),
        ("providerIdsWithInterfaceIds", [{"id": 0, "idList": [1]}]),
    ],
)
def test_check_invalid_payload(client, ids, field, value):
    body = check_body(ids, [(ids["provider1"], [ids["json"]])])
    body[field] = value

    response = client.post(URL, json=body)

    assert response.status_code == 400
    assert response.json["exceptionType"] == "BAD_PAYLOAD"


@pytest.mark.parametrize(
    ("field", "value"),
    [("systemName", " "), ("address", ""), ("port", 70000)],
)
def test_check_invalid_consumer(client, ids, field, value):
    body = check_body(ids, [(ids["provider1"], [ids["json"]])])
    body["consumer"][field] = value

    response = client.post(URL, json=body)

    assert response.status_code == 400
