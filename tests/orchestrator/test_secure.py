"""Access rules and tokens of the Orchestrator in direct (mutual TLS) mode."""

import pytest

from arrowhead_lite.extensions import db
from arrowhead_lite.security import tokens
from tests import helpers
from tests.orchestrator import factories

STORE = "/orchestrator/mgmt/store"


@pytest.fixture
def world(secure_app):
    """A consumer and TOKEN providers: two with keys, one with a broken key."""
    with secure_app.app_context():
        consumer = factories.system("consumer", 9000)
        good = [
            factories.system(f"keyed-{i}", 8080 + i, key=f"keyed-{i}") for i in range(2)
        ]
        broken = factories.system("broken", 8090)
        broken.authentication_info = "bm90IGEga2V5"
        for provider in (*good, broken):
            factories.entry(provider, secure="TOKEN")
            factories.rule(consumer, provider)
        db.session.commit()
        return {"consumer_id": consumer.id}


def _orchestrate(client, caller="consumer", **flags):
    return client.post(
        "/orchestrator/orchestration",
        json=factories.form(flags=flags),
        environ_overrides=helpers.caller(caller),
    )


def _names(response) -> list[str]:
    return [result["provider"]["systemName"] for result in response.json["response"]]


def test_secure_bad_key_provider_dropped(world, secure_client):
    response = _orchestrate(secure_client)

    assert response.status_code == 200
    assert _names(response) == ["keyed-0", "keyed-1"]


def test_secure_tokens_per_interface(world, secure_client):
    response = _orchestrate(secure_client)

    for result in response.json["response"]:
        assert set(result["authorizationTokens"]) == {"HTTP-SECURE-JSON"}


def test_secure_only_bad_keys_is_empty(world, secure_client):
    body = factories.form(flags={"onlyPreferred": True})
    body["preferredProviders"] = [
        {"providerSystem": helpers.system_body("broken", 8090)}
    ]

    response = secure_client.post(
        "/orchestrator/orchestration",
        json=body,
        environ_overrides=helpers.caller("consumer"),
    )

    assert response.status_code == 200
    assert response.json == {"response": []}


def test_secure_matchmaking_skips_nothing_after_bad_key(world, secure_client):
    body = factories.form(flags={"matchmaking": True})
    body["preferredProviders"] = [
        {"providerSystem": helpers.system_body("keyed-1", 8081)}
    ]

    response = secure_client.post(
        "/orchestrator/orchestration",
        json=body,
        environ_overrides=helpers.caller("consumer"),
    )

    assert _names(response) == ["keyed-1"]


def test_secure_certificate_results_have_no_tokens(secure_app, secure_client):
    with secure_app.app_context():
        consumer = factories.system("consumer", 9000)
        provider = factories.system("certified", 8080, key="certified")
        factories.entry(provider, secure="CERTIFICATE")
        factories.rule(consumer, provider)
        db.session.commit()

    response = _orchestrate(secure_client)

    assert response.json["response"][0]["authorizationTokens"] == {}


def test_secure_requester_cloud_names_token_consumer(world, secure_client):
    body = factories.form()
    body["requesterCloud"] = {"operator": "aitia", "name": "testcloud"}

    response = secure_client.post(
        "/orchestrator/orchestration",
        json=body,
        environ_overrides=helpers.caller("consumer"),
    )

    token = response.json["response"][0]["authorizationTokens"]["HTTP-SECURE-JSON"]
    claims = tokens.verify_token(
        token,
        helpers.rsa_key("keyed-0"),
        helpers.authorization_public_key(),
        "consumer",
        factories.DEFINITION,
        "HTTP-SECURE-JSON",
    )
    assert claims["cid"] == "consumer.testcloud.aitia"


def test_secure_store_orchestration_with_token(world, secure_client):
    body = [
        factories.store_rule_body(world["consumer_id"], "broken", 1, port=8090),
        factories.store_rule_body(world["consumer_id"], "keyed-1", 2, port=8081),
    ]
    created = secure_client.post(
        STORE, json=body, environ_overrides=helpers.caller("sysop")
    )
    assert created.status_code == 200
    form = factories.form(interfaceRequirements=["HTTP-SECURE-JSON"])
    form["orchestrationFlags"] = {}

    response = secure_client.post(
        "/orchestrator/orchestration",
        json=form,
        environ_overrides=helpers.caller("consumer"),
    )

    assert _names(response) == ["keyed-1"]
    assert response.json["response"][0]["authorizationTokens"]["HTTP-SECURE-JSON"]


def test_secure_store_mgmt_needs_sysop(world, secure_client):
    response = secure_client.get(STORE, environ_overrides=helpers.caller("consumer"))

    assert response.status_code == 401


def test_secure_store_mgmt_for_sysop(world, secure_client):
    response = secure_client.get(STORE, environ_overrides=helpers.caller("sysop"))

    assert response.status_code == 200


def _store_top_rule(client, consumer_id):
    body = [factories.store_rule_body(consumer_id, "keyed-0", 1)]
    client.post(STORE, json=body, environ_overrides=helpers.caller("sysop"))


@pytest.mark.parametrize(
    ("caller", "status"), [("consumer", 200), ("sysop", 200), ("keyed-1", 401)]
)
def test_secure_orchestration_by_id_access(world, secure_client, caller, status):
    _store_top_rule(secure_client, world["consumer_id"])

    response = secure_client.get(
        f"/orchestrator/orchestration/{world['consumer_id']}",
        environ_overrides=helpers.caller(caller),
    )

    assert response.status_code == status


def test_secure_orchestration_by_id_has_token(world, secure_client):
    _store_top_rule(secure_client, world["consumer_id"])

    response = secure_client.get(
        f"/orchestrator/orchestration/{world['consumer_id']}",
        environ_overrides=helpers.caller("consumer"),
    )

    assert _names(response) == ["keyed-0"]
    assert response.json["response"][0]["authorizationTokens"]["HTTP-SECURE-JSON"]


def test_secure_explain_needs_sysop(world, secure_client):
    response = secure_client.post(
        "/orchestrator/mgmt/explain",
        json=factories.form(),
        environ_overrides=helpers.caller("consumer"),
    )

    assert response.status_code == 401


def test_secure_explain_reports_bad_key(world, secure_client):
    response = secure_client.post(
        "/orchestrator/mgmt/explain",
        json=factories.form(),
        environ_overrides=helpers.caller("sysop"),
    )

    assert response.status_code == 200
    verdicts = {
        candidate["provider"]["systemName"]: candidate["reason"]
        for candidate in response.json["candidates"]
    }
    assert verdicts == {
        "keyed-0": None,
        "keyed-1": None,
        "broken": "no usable public key for a TOKEN service",
    }
