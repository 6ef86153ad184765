"""Explain output over HTTP and the orchestrate and store commands."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from arrowhead_lite.extensions import db
from arrowhead_lite.extensions import utcnow
from arrowhead_lite.registry.models import System
from tests import helpers
from tests.orchestrator import factories

EXPLAIN = "/orchestrator/mgmt/explain"


@pytest.fixture
def world(app):
    """Providers that each fail one orchestration step, and three that pass."""
    with app.app_context():
        consumer = factories.system("consumer", 9000)
        consumer_id = consumer.id
        db.session.commit()

    def add(consumer, name, port, **options):
        options.setdefault("metadata", {"unit": "celsius"})
        factories.add_provider(app, consumer, name, port, **options)

    add(consumer_id, "wrong-interface", 8001, interfaces=("HTTP-INSECURE-JSON",))
    add(consumer_id, "wrong-security", 8002, secure="CERTIFICATE")
    add(consumer_id, "wrong-version", 8003, version=2)
    add(consumer_id, "wrong-metadata", 8004, metadata={"unit": "kelvin"})
    add(
        consumer_id,
        "expired",
        8005,
        end_of_validity=utcnow() - timedelta(minutes=1),
    )
    add(None, "no-rule", 8006)
    add(
        consumer_id,
        "rule-for-other-interface",
        8007,
        interfaces=("HTTP-SECURE-JSON", "HTTP-INSECURE-JSON"),
        rule_interfaces=("HTTP-INSECURE-JSON",),
    )
    for index, name in enumerate(("first", "second", "third")):
        add(consumer_id, name, 8010 + index)
    return app


def _form(**flags):
    body = factories.form(
        flags={"metadataSearch": True, **flags},
        interfaceRequirements=["HTTP-SECURE-JSON"],
        securityRequirements=["NOT_SECURE"],
        versionRequirement=1,
        metadataRequirements={"unit": "celsius"},
    )
    body["preferredProviders"] = [
        {"providerSystem": helpers.system_body("second", 8011)},
        {"providerSystem": helpers.system_body("first", 8010)},
    ]
    return body


def _verdicts(document) -> dict[str, str | None]:
    return {
        candidate["provider"]["systemName"]: candidate["reason"]
        for candidate in document["candidates"]
    }


EXPECTED_REASONS = {
    "wrong-interface": "no requested interface",
    "wrong-security": "security type not accepted",
    "wrong-version": "version not accepted",
    "wrong-metadata": "metadata does not match",
    "expired": "end of validity has passed",
    "no-rule": "no authorization rule",
    "rule-for-other-interface": (
        "authorization rule allows none of the requested interfaces"
    ),
    "second": None,
    "first": "cut by matchmaking",
    "third": "cut by matchmaking",
}


def test_explain_every_reason(world, client):
    response = client.post(EXPLAIN, json=_form(matchmaking=True))

    assert response.status_code == 200
    verdicts = _verdicts(response.json)
    for name, reason in EXPECTED_REASONS.items():
        assert verdicts[name] == reason, name


def test_explain_not_preferred(world, client):
    response = client.post(EXPLAIN, json=_form(onlyPreferred=True))

    verdicts = _verdicts(response.json)
    assert verdicts["third"] == "not preferred"
    assert verdicts["first"] is None
    assert verdicts["second"] is None


def test_explain_document(world, client):
    response = client.post(EXPLAIN, json=_form(matchmaking=True))

    document = response.json
    assert document["mode"] == "dynamic"
    assert document["requester"]["systemName"] == "consumer"
    assert document["serviceDefinition"] == factories.DEFINITION
    assert document["resultCount"] == 1
    assert len(document["candidates"]) == 10
    kept = [c for c in document["candidates"] if c["kept"]]
    assert [c["provider"]["systemName"] for c in kept] == ["second"]


def test_explain_not_reachable(world, client):
    response = client.post(EXPLAIN, json=_form(pingProviders=True))

    verdicts = _verdicts(response.json)
    assert verdicts["first"] == "provider not reachable"


def test_explain_store_mode(world, client):
    with world.app_context():
        consumer_id = db.session.execute(
            select(System.id).where(System.system_name == "consumer")
        ).scalar_one()
    body = [
        factories.store_rule_body(consumer_id, "first", 1, port=8010),
        factories.store_rule_body(consumer_id, "second", 2, port=8011),
    ]
    assert client.post("/orchestrator/mgmt/store", json=body).status_code == 200
    form = factories.form(interfaceRequirements=["HTTP-SECURE-JSON"])
    form["orchestrationFlags"] = {}

    response = client.post(EXPLAIN, json=form)

    verdicts = _verdicts(response.json)
    assert response.json["mode"] == "store"
    assert verdicts["first"] is None
    assert verdicts["second"] == "a store rule of higher priority was used"
    assert verdicts["third"] == "no store rule"


def test_explain_validation_is_400(world, client):
    response = client.post(EXPLAIN, json=factories.form(None))

    assert response.status_code == 400


def _write(tmp_path, body) -> str:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(body))
    return str(path)


def test_cli_orchestrate(world, tmp_path):
    runner = world.test_cli_runner()

    result = runner.invoke(args=["orchestrate", _write(tmp_path, _form())])

    assert result.exit_code == 0, result.output
    names = [r["provider"]["systemName"] for r in json.loads(result.output)["response"]]
    assert names == ["second", "first", "third"]


def test_cli_orchestrate_explain_table(world, tmp_path):
    runner = world.test_cli_runner()

    result = runner.invoke(
        args=["orchestrate", _write(tmp_path, _form(matchmaking=True)), "--explain"]
    )

    assert result.exit_code == 0, result.output
    assert "dropped: cut by matchmaking" in result.output
    assert "dropped: no authorization rule" in result.output


def test_cli_orchestrate_explain_json(world, tmp_path):
    runner = world.test_cli_runner()

    result = runner.invoke(
        args=["orchestrate", _write(tmp_path, _form()), "--explain", "--json"]
    )

    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["candidates"]) == 10


def test_cli_orchestrate_invalid_request(world, tmp_path):
    runner = world.test_cli_runner()

    result = runner.invoke(args=["orchestrate", _write(tmp_path, {"x": 1})])

    assert result.exit_code != 0
    assert "requesterSystem" in result.output


def test_cli_store_add_list_remove(world):
    runner = world.test_cli_runner()

    added = runner.invoke(
        args=[
            "store",
            "add",
            "--consumer",
            "consumer",
            "--provider",
            "first",
            "--service",
            factories.DEFINITION,
        ]
    )
    listed = runner.invoke(args=["store", "list", "--json"])
    rule_id = json.loads(listed.output)[0]["id"]
    table = runner.invoke(args=["store", "list"])
    removed = runner.invoke(args=["store", "remove", str(rule_id)])
    after = runner.invoke(args=["store", "list", "--json"])

    assert added.exit_code == 0, added.output
    assert "first" in table.output
    assert "PRIORITY" in table.output
    assert removed.exit_code == 0, removed.output
    assert json.loads(after.output) == []


def test_cli_store_add_unknown_system(world):
    runner = world.test_cli_runner()

    result = runner.invoke(
        args=[
            "store",
            "add",
            "--consumer",
            "ghost",
            "--provider",
            "first",
            "--service",
            factories.DEFINITION,
        ]
    )

    assert result.exit_code != 0
    assert "ghost" in result.output


def test_cli_store_remove_unknown(world):
    runner = world.test_cli_runner()

    result = runner.invoke(args=["store", "remove", "999"])

    assert result.exit_code != 0
    assert "999" in result.output
