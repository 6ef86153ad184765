"""Statement counts and a large orchestration with tokens."""

import time

from sqlalchemy import event
from sqlalchemy import select

from arrowhead_lite.extensions import db
from arrowhead_lite.registry.models import System
from arrowhead_lite.security import tokens
from tests import helpers
from tests.orchestrator import factories


def _seed(app, count: int) -> None:
    """Commit a consumer and ``count`` authorized TOKEN providers sharing one key."""
    with app.app_context():
        factories.system("consumer", 9000)
        db.session.commit()
    _add_providers(app, range(count))


def _orchestrate(client, **flags):
    return client.post(
        "/orchestrator/orchestration",
        json=factories.form(flags=flags),
        environ_overrides=helpers.caller("consumer"),
    )


def _count_statements(app, client) -> tuple[int, int]:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = _orchestrate(client)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements), len(response.json["response"])


def test_scale_statements_one_candidate(secure_app, secure_client):
    _seed(secure_app, 1)

    count, results = _count_statements(secure_app, secure_client)

    assert results == 1
    assert count <= 5


def test_scale_statements_same_for_200(secure_app, secure_client):
    _seed(secure_app, 1)
    one, _ = _count_statements(secure_app, secure_client)

    _add_providers(secure_app, range(1, 200))
    many, results = _count_statements(secure_app, secure_client)

    assert results == 200
    assert many == one


def _add_providers(app, indexes) -> None:
    with app.app_context():
        consumer = db.session.execute(
            select(System).where(System.system_name == "consumer")
        ).scalar_one()
        for index in indexes:
            provider = factories.system(f"provider-{index}", 10000 + index, key="bulk")
            factories.entry(provider, secure="TOKEN")
            factories.rule(consumer, provider)
        db.session.commit()


def test_scale_200_results_with_tokens(secure_app, secure_client):
    _seed(secure_app, 200)

    started = time.perf_counter()
    response = _orchestrate(secure_client)
    elapsed = time.perf_counter() - started

    results = response.json["response"]
    assert response.status_code == 200
    assert len(results) == 200
    assert all(result["authorizationTokens"]["HTTP-SECURE-JSON"] for result in results)
    claims = tokens.verify_token(
        results[199]["authorizationTokens"]["HTTP-SECURE-JSON"],
        helpers.rsa_key("bulk"),
        helpers.authorization_public_key(),
        "consumer",
        factories.DEFINITION,
        "HTTP-SECURE-JSON",
    )
    assert claims["sid"] == factories.DEFINITION
    print(f"200 providers with tokens: {elapsed * 1000:.0f} ms")
