"""Orchestration request validation, dispatch and requester identity."""

import pytest

from arrowhead_lite.extensions import db
from tests import helpers
from tests.orchestrator import factories


def _post(client, body, **kwargs):
    return client.post("/orchestrator/orchestration", json=body, **kwargs)


def _without(body: dict, key: str) -> dict:
    body = dict(body)
    del body[key]
    return body


BAD_FORMS = {
    "missing requester": _without(factories.form(), "requesterSystem"),
    "requester null": {**factories.form(), "requesterSystem": None},
    "blank requester name": {
        **factories.form(),
        "requesterSystem": helpers.system_body(" ", 9000),
    },
    "blank requester address": {
        **factories.form(),
        "requesterSystem": helpers.system_body("consumer", 9000, address=""),
    },
    "requester without port": {
        **factories.form(),
        "requesterSystem": {"systemName": "consumer", "address": "127.0.0.1"},
    },
    "requester port out of range": {
        **factories.form(),
        "requesterSystem": helpers.system_body("consumer", 70000),
    },
    "requester cloud without name": {
        **factories.form(),
        "requesterCloud": {"operator": "aitia"},
    },
    "requester cloud blank operator": {
        **factories.form(),
        "requesterCloud": {"operator": " ", "name": "testcloud"},
    },
    "blank service definition": factories.form(" "),
    "service definition missing": {
        **factories.form(),
        "requestedService": {"interfaceRequirements": ["HTTP-SECURE-JSON"]},
    },
    "override store without service": factories.form(None),
    "trigger inter-cloud without service": factories.form(
        None, flags={"overrideStore": False, "triggerInterCloud": True}
    ),
    "only preferred without preferred": factories.form(flags={"onlyPreferred": True}),
    "preferred provider without port": {
        **factories.form(),
        "preferredProviders": [
            {"providerSystem": {"systemName": "p", "address": "127.0.0.1"}}
        ],
    },
    "qos exclusivity without matchmaking": {
        **factories.form(flags={"enableQoS": True}),
        "commands": {"qosExclusivity": "30"},
    },
    "store with service and no interface": factories.form(
        flags={"overrideStore": False}
    ),
    "store with service and two interfaces": factories.form(
        flags={"overrideStore": False},
        interfaceRequirements=["HTTP-SECURE-JSON", "HTTP-INSECURE-JSON"],
    ),
    "flag is a string": factories.form(flags={"matchmaking": "maybe"}),
    "version is not a number": factories.form(versionRequirement="two"),
}


@pytest.mark.parametrize("case", sorted(BAD_FORMS))
def test_validation_rejects(client, case):
    response = _post(client, BAD_FORMS[case])

    assert response.status_code == 400, response.json
    assert response.json["errorCode"] == 400
    assert response.json["origin"] == "/orchestrator/orchestration"


def test_validation_message_override_store(client):
    response = _post(client, factories.form(None))

    assert response.json["errorMessage"] == (
        'Requested service can not be null when "overrideStore" is TRUE'
    )


def test_validation_not_json_is_415(client):
    response = client.post(
        "/orchestrator/orchestration", data="x", content_type="text/plain"
    )

    assert response.status_code == 415


def test_validation_array_body_is_400(client):
    response = _post(client, [factories.form()])

    assert response.status_code == 400


def test_dispatch_trigger_inter_cloud_is_400(client):
    response = _post(client, factories.form(flags={"triggerInterCloud": True}))

    assert response.status_code == 400
    assert "GATEKEEPER" in response.json["errorMessage"]


def test_dispatch_external_request_is_400(client):
    response = _post(client, factories.form(flags={"externalServiceRequest": True}))

    assert response.status_code == 400
    assert "GATEKEEPER" in response.json["errorMessage"]


def test_dispatch_default_is_store(app, client):
    with app.app_context():
        consumer = factories.system("consumer", 9000)
        provider = factories.system("provider", 8080)
        factories.entry(provider)
        factories.rule(consumer, provider)
        db.session.commit()

    body = factories.form(interfaceRequirements=["HTTP-SECURE-JSON"])
    body["orchestrationFlags"] = {}

    response = _post(client, body)

    assert response.status_code == 200
    assert response.json == {"response": []}


@pytest.fixture
def namesakes(app):
    """Two systems named ``twin`` and one named ``single``."""
    with app.app_context():
        twins = [factories.system("twin", 9001), factories.system("twin", 9002)]
        single = factories.system("single", 9003)
        provider = factories.system("provider", 8080)
        factories.entry(provider)
        for consumer in (*twins, single):
            factories.rule(consumer, provider)
        db.session.commit()


def test_requester_found_by_name_address_port(namesakes, client):
    response = _post(client, factories.form(requester_name="twin", port=9002))

    assert response.status_code == 200
    assert len(response.json["response"]) == 1


def test_requester_found_by_unique_name(namesakes, client):
    body = factories.form(requester_name="Single", port=1)
    body["requesterSystem"]["address"] = "localhost"

    response = _post(client, body)

    assert response.status_code == 200
    assert len(response.json["response"]) == 1


def test_requester_ambiguous_name_is_400(namesakes, client):
    response = _post(client, factories.form(requester_name="twin", port=1))

    assert response.status_code == 400
    assert "twin" in response.json["errorMessage"]


def test_requester_unknown_is_400(namesakes, client):
    response = _post(client, factories.form(requester_name="nobody"))

    assert response.status_code == 400
    assert "nobody" in response.json["errorMessage"]


def test_requester_must_match_certificate(secure_client):
    response = _post(
        secure_client,
        factories.form(requester_name="consumer"),
        environ_overrides=helpers.caller("impostor"),
    )

    assert response.status_code == 401


def test_requester_without_certificate_is_401(secure_client):
    response = _post(secure_client, factories.form())

    assert response.status_code == 401
