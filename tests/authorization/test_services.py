"""authorized_interfaces: the rule lookup the Orchestrator calls in process."""

import pytest
from sqlalchemy import event

from arrowhead_lite.authorization import services
from arrowhead_lite.extensions import db
from tests.authorization import factories


@pytest.fixture
def context(app):
    with app.app_context():
        yield


def count_statements():
    """Return a list that collects every SQL statement run from now on."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    return statements


def test_authorized_interfaces_of_rule(context):
    consumer = factories.system("consumer")
    provider = factories.system("provider", 9000)
    service = factories.definition("temperature")
    secure_json = factories.interface("HTTP-SECURE-JSON")
    factories.rule(consumer, provider, service, [secure_json])

    allowed = services.authorized_interfaces(consumer.id, service.id, [provider.id])

    assert allowed == {provider.id: {secure_json.id}}


def test_authorized_interfaces_leaves_out_unruled(context):
    consumer = factories.system("consumer")
    other_consumer = factories.system("other", 7000)
    provider = factories.system("provider", 9000)
    unruled = factories.system("unruled", 9001)
    service = factories.definition("temperature")
    other_service = factories.definition("humidity")
    interface = factories.interface("HTTP-SECURE-JSON")
    factories.rule(consumer, provider, service, [interface])
    factories.rule(other_consumer, unruled, service, [interface])
    factories.rule(consumer, unruled, other_service, [interface])

    allowed = services.authorized_interfaces(
        consumer.id, service.id, [provider.id, unruled.id]
    )

    assert set(allowed) == {provider.id}


def test_authorized_interfaces_several_interfaces(context):
    consumer = factories.system("consumer")
    provider = factories.system("provider", 9000)
    service = factories.definition("temperature")
    first = factories.interface("HTTP-SECURE-JSON")
    second = factories.interface("COAP-SECURE-CBOR")
    factories.rule(consumer, provider, service, [first, second])

    allowed = services.authorized_interfaces(consumer.id, service.id, [provider.id])

    assert allowed[provider.id] == {first.id, second.id}


def test_authorized_interfaces_no_providers_no_query(context):
    statements = count_statements()

    assert services.authorized_interfaces(1, 1, []) == {}
    assert statements == []


def test_authorized_interfaces_one_statement_for_100(context):
    consumer = factories.system("consumer")
    service = factories.definition("temperature")
    interface = factories.interface("HTTP-SECURE-JSON")
    providers = [factories.system(f"provider{i}", 9000 + i) for i in range(100)]
    for provider in providers:
        factories.rule(consumer, provider, service, [interface])
    consumer_id, service_id = consumer.id, service.id
    provider_ids = [provider.id for provider in providers]
    db.session.commit()
    statements = count_statements()

    allowed = services.authorized_interfaces(consumer_id, service_id, provider_ids)

    assert len(allowed) == 100
    assert len(statements) == 1
