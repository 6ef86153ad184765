"""POST /serviceregistry/query and /query/multi."""

import socket

import pytest
from sqlalchemy import event

from arrowhead_lite.extensions import db
from tests import helpers
from tests.registry.support import assert_error
from tests.registry.support import register

QUERY = "/serviceregistry/query"


def _hits(response) -> list[int]:
    return [item["id"] for item in response.json["serviceQueryData"]]


@pytest.fixture
def three_entries(client):
    """Entries 1-3 of ``temperature`` with different versions and interfaces."""
    register(client, port=1, version=1, metadata={"unit": "C"})
    register(
        client,
        port=2,
        version=2,
        metadata={"unit": "F"},
        interfaces=["HTTP-INSECURE-JSON", "COAP-INSECURE-CBOR"],
    )
    register(
        client,
        port=3,
        version=3,
        interfaces=["COAP-INSECURE-CBOR"],
        providerSystem=helpers.system_body("sensor", 3, "sensor.example.com"),
    )
    register(client, "humidity", port=4)


def test_query_returns_result_shape(client, three_entries):
    response = client.post(QUERY, json={"serviceDefinitionRequirement": "Temperature"})
    assert response.status_code == 200
    assert set(response.json) == {"serviceQueryData", "unfilteredHits"}
    assert _hits(response) == [1, 2, 3]
    assert response.json["unfilteredHits"] == 3


def test_query_unknown_definition_is_empty(client):
    response = client.post(QUERY, json={"serviceDefinitionRequirement": "nothing"})
    assert response.status_code == 200
    assert response.json == {"serviceQueryData": [], "unfilteredHits": 0}


def test_query_interface_filters_and_trims(client, three_entries):
    response = client.post(
        QUERY,
        json={
            "serviceDefinitionRequirement": "temperature",
            "interfaceRequirements": [" coap-insecure-cbor "],
        },
    )
    assert _hits(response) == [2, 3]
    interfaces = response.json["serviceQueryData"][0]["interfaces"]
    assert [item["interfaceName"] for item in interfaces] == ["COAP-INSECURE-CBOR"]
    assert response.json["unfilteredHits"] == 3


@pytest.mark.parametrize(
    ("requirements", "expected"),
    [
        ({"versionRequirement": 2}, [2]),
        ({"versionRequirement": "2"}, [2]),
        ({"minVersionRequirement": 2}, [2, 3]),
        ({"maxVersionRequirement": 2}, [1, 2]),
        ({"minVersionRequirement": 2, "maxVersionRequirement": 2}, [2]),
        ({"versionRequirement": 1, "minVersionRequirement": 3}, [1]),
        ({"metadataRequirements": {"unit": "F"}}, [2]),
        ({"metadataRequirements": {" unit ": " C "}}, [1]),
        ({"metadataRequirements": {"unit": "c"}}, []),
        ({"metadataRequirements": {"unit": None}}, [1, 2, 3]),
        ({"metadataRequirements": {}}, [1, 2, 3]),
        ({"securityRequirements": ["NOT_SECURE"]}, [1, 2, 3]),
        ({"securityRequirements": ["TOKEN"]}, []),
        ({"providerAddressTypeRequirements": ["HOSTNAME"]}, [3]),
        ({"providerAddressTypeRequirements": ["IPV4", "IPV6"]}, [1, 2]),
        ({"interfaceRequirements": None, "versionRequirement": None}, [1, 2, 3]),
    ],
)
def test_query_requirement(client, three_entries, requirements, expected):
    form = {"serviceDefinitionRequirement": "temperature", **requirements}
    response = client.post(QUERY, json=form)
    assert response.status_code == 200
    assert _hits(response) == expected


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"serviceDefinitionRequirement": ""},
        {"serviceDefinitionRequirement": "bad_name"},
        {"serviceDefinitionRequirement": "t", "securityRequirements": ["token"]},
        {"serviceDefinitionRequirement": "t", "providerAddressTypeRequirements": ["X"]},
        {
            "serviceDefinitionRequirement": "t",
            "metadataRequirements": {"a": "1", " a": ""},
        },
        {"serviceDefinitionRequirement": "t", "versionRequirement": 1.5},
        {"serviceDefinitionRequirement": "t", "metadataRequirements": {"a": 1}},
        {"serviceDefinitionRequirement": "t", "pingProviders": "perhaps"},
        {
            "serviceDefinitionRequirement": "t",
            "interfaceRequirements": "HTTP-SECURE-JSON",
        },
    ],
)
def test_query_invalid_form_is_400(client, form):
    response = client.post(QUERY, json=form)
    assert_error(response, 400)


def test_query_ping_drops_unreachable(make_app):
    app = make_app(ARROWHEAD_PING_TIMEOUT_MS=500)
    client = app.test_client()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    open_port = listener.getsockname()[1]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    try:
        register(client, port=open_port)
        register(client, port=closed_port)
        response = client.post(
            QUERY,
            json={"serviceDefinitionRequirement": "temperature", "pingProviders": True},
        )
    finally:
        listener.close()
    assert _hits(response) == [1]
    assert response.json["unfilteredHits"] == 2


def test_query_application_non_public_is_401(secure_client):
    response = secure_client.post(
        QUERY,
        json={"serviceDefinitionRequirement": "temperature"},
        environ_overrides=helpers.caller("consumer"),
    )
    assert_error(response, 401)


def test_query_application_public_core_service(secure_client):
    response = secure_client.post(
        QUERY,
        json={"serviceDefinitionRequirement": "orchestration-service"},
        environ_overrides=helpers.caller("consumer"),
    )
    assert response.status_code == 200


def test_query_orchestrator_any_definition(secure_client):
    response = secure_client.post(
        QUERY,
        json={"serviceDefinitionRequirement": "temperature"},
        environ_overrides=helpers.caller("orchestrator"),
    )
    assert response.status_code == 200


def test_query_multi_keeps_form_order(client, three_entries):
    response = client.post(
        "/serviceregistry/query/multi",
        json={
            "forms": [
                {"serviceDefinitionRequirement": "humidity"},
                {
                    "serviceDefinitionRequirement": "temperature",
                    "versionRequirement": 3,
                },
            ]
        },
    )
    assert response.status_code == 200
    results = response.json["results"]
    assert [item["id"] for item in results[0]["serviceQueryData"]] == [4]
    assert [item["id"] for item in results[1]["serviceQueryData"]] == [3]


def test_query_multi_requires_forms(client):
    response = client.post("/serviceregistry/query/multi", json={})
    assert_error(response, 400)


def test_query_multi_denied_to_application(secure_client):
    response = secure_client.post(
        "/serviceregistry/query/multi",
        json={"forms": []},
        environ_overrides=helpers.caller("consumer"),
    )
    assert_error(response, 401)


def _count_query_statements(app, client) -> int:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.post(
            QUERY,
            json={
                "serviceDefinitionRequirement": "temperature",
                "interfaceRequirements": ["HTTP-INSECURE-JSON"],
            },
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements), len(response.json["serviceQueryData"])


def test_query_statement_count_is_constant(app, client):
    register(client, port=1)
    one_statements, one_hits = _count_query_statements(app, client)

    for port in range(2, 201):
        register(client, port=port, metadata={"n": str(port)})
    many_statements, many_hits = _count_query_statements(app, client)

    assert one_hits == 1
    assert many_hits == 200
    assert many_statements == one_statements
    assert one_statements == 2
