"""The seed scenario end to end over HTTP in direct (mutual TLS) mode."""

import pytest

from arrowhead_lite.security import tokens
from tests import helpers

DEFINITION = "temperature-reading"
PROVIDERS = ("thermometer-a", "thermometer-b", "thermometer-c")


def _register_provider(client, name: str, port: int) -> dict:
    body = helpers.entry_body(
        DEFINITION,
        name,
        port,
        secure="TOKEN",
        providerSystem=helpers.system_body(
            name, port, authenticationInfo=helpers.public_key_base64(name)
        ),
    )
    response = client.post(
        "/serviceregistry/register", json=body, environ_overrides=helpers.caller(name)
    )
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def seeded(secure_client):
    """Three TOKEN providers, a consumer, and rules for the first two."""
    entries = [
        _register_provider(secure_client, name, 8081 + index)
        for index, name in enumerate(PROVIDERS)
    ]
    response = secure_client.post(
        "/serviceregistry/register-system",
        json=helpers.system_body("consumer", 9000),
        environ_overrides=helpers.caller("consumer"),
    )
    assert response.status_code == 201, response.json

    rules = {
        "consumerId": response.json["id"],
        "providerIds": [entry["provider"]["id"] for entry in entries[:2]],
        "serviceDefinitionIds": [entries[0]["serviceDefinition"]["id"]],
        "interfaceIds": [entries[0]["interfaces"][0]["id"]],
    }
    response = secure_client.post(
        "/authorization/mgmt/intracloud",
        json=rules,
        environ_overrides=helpers.caller("sysop"),
    )
    assert response.status_code == 201, response.json
    return entries


def _orchestrate(client, **flags):
    body = {
        "requesterSystem": helpers.system_body("consumer", 9000),
        "requestedService": {
            "serviceDefinitionRequirement": DEFINITION,
            "interfaceRequirements": ["HTTP-SECURE-JSON"],
        },
        "orchestrationFlags": {"overrideStore": True, **flags},
    }
    return client.post(
        "/orchestrator/orchestration",
        json=body,
        environ_overrides=helpers.caller("consumer"),
    )


def test_seed_returns_the_two_authorized(seeded, secure_client):
    response = _orchestrate(secure_client)

    assert response.status_code == 200
    names = [result["provider"]["systemName"] for result in response.json["response"]]
    assert names == ["thermometer-a", "thermometer-b"]


def test_seed_third_provider_absent(seeded, secure_client):
    response = _orchestrate(secure_client)

    names = {result["provider"]["systemName"] for result in response.json["response"]}
    assert "thermometer-c" not in names


def test_seed_tokens_verify_for_consumer(seeded, secure_client):
    response = _orchestrate(secure_client)

    for result in response.json["response"]:
        name = result["provider"]["systemName"]
        token = result["authorizationTokens"]["HTTP-SECURE-JSON"]
        claims = tokens.verify_token(
            token,
            helpers.rsa_key(name),
            helpers.authorization_public_key(),
            "consumer",
            DEFINITION,
            "HTTP-SECURE-JSON",
        )
        assert (
            claims["cid"] == f"consumer.{helpers.CLOUD_NAME}.{helpers.CLOUD_OPERATOR}"
        )
        assert claims["sid"] == DEFINITION
        assert claims["iid"] == "HTTP-SECURE-JSON"


def test_seed_tokens_rejected_for_other_consumer(seeded, secure_client):
    response = _orchestrate(secure_client)

    for result in response.json["response"]:
        token = result["authorizationTokens"]["HTTP-SECURE-JSON"]
        with pytest.raises(tokens.ConsumerMismatch):
            tokens.verify_token(
                token,
                helpers.rsa_key(result["provider"]["systemName"]),
                helpers.authorization_public_key(),
                "intruder",
                DEFINITION,
                "HTTP-SECURE-JSON",
            )


def test_seed_matchmaking_returns_one(seeded, secure_client):
    response = _orchestrate(secure_client, matchmaking=True)

    assert response.status_code == 200
    assert len(response.json["response"]) == 1
    assert response.json["response"][0]["provider"]["systemName"] == "thermometer-a"


def test_seed_result_shape(seeded, secure_client):
    result = _orchestrate(secure_client).json["response"][0]

    assert set(result) == {
        "provider",
        "service",
        "serviceUri",
        "secure",
        "metadata",
        "interfaces",
        "version",
        "authorizationTokens",
        "warnings",
    }
    assert result["secure"] == "TOKEN"
    assert result["metadata"] == {}
    assert result["warnings"] == ["TTL_UNKNOWN"]
    assert result["serviceUri"] == f"/{DEFINITION}"
    assert result["service"]["serviceDefinition"] == DEFINITION
    assert [i["interfaceName"] for i in result["interfaces"]] == ["HTTP-SECURE-JSON"]
    assert isinstance(result["provider"]["authenticationInfo"], str)
    assert result["provider"]["authenticationInfo"]


def test_seed_other_requester_name_is_401(seeded, secure_client):
    body = {
        "requesterSystem": helpers.system_body("consumer", 9000),
        "requestedService": {"serviceDefinitionRequirement": DEFINITION},
        "orchestrationFlags": {"overrideStore": True},
    }
    response = secure_client.post(
        "/orchestrator/orchestration",
        json=body,
        environ_overrides=helpers.caller("thermometer-c"),
    )

    assert response.status_code == 401
    assert response.json["exceptionType"] == "AUTH"


def test_seed_sysop_orchestrates_for_consumer(seeded, secure_client):
    body = {
        "requesterSystem": helpers.system_body("consumer", 9000),
        "requestedService": {"serviceDefinitionRequirement": DEFINITION},
        "orchestrationFlags": {"overrideStore": True},
    }
    response = secure_client.post(
        "/orchestrator/orchestration",
        json=body,
        environ_overrides=helpers.caller("sysop"),
    )

    assert response.status_code == 200
    assert len(response.json["response"]) == 2
