"""POST /authorization/token, /token/multi and GET /publickey."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization

from tests import helpers
from tests.authorization.tokencheck import open_token

ORCHESTRATOR = helpers.caller("orchestrator")


def token_body(**extra):
    body = {
        "consumer": helpers.system_body("Consumer", 7000),
        "providers": [
            {
                "provider": helpers.system_body(
                    "Provider",
                    9000,
                    authenticationInfo=helpers.public_key_base64("provider"),
                ),
                "serviceInterfaces": ["HTTP-SECURE-JSON"],
                "tokenDuration": 300,
            }
        ],
        "service": "Temperature",
    }
    body.update(extra)
    return body


def post_token(client, body, url="/authorization/token"):
    return client.post(url, json=body, environ_overrides=ORCHESTRATOR)


def test_token_response(secure_client):
    response = post_token(secure_client, token_body())

    assert response.status_code == 200
    token_data = response.json["tokenData"]
    assert len(token_data) == 1
    assert token_data[0]["providerName"] == "Provider"
    assert token_data[0]["providerAddress"] == "127.0.0.1"
    assert token_data[0]["providerPort"] == 9000
    assert list(token_data[0]["tokens"]) == ["HTTP-SECURE-JSON"]


def test_token_response_opens_with_joserfc(secure_client):
    response = post_token(secure_client, token_body())

    token = response.json["tokenData"][0]["tokens"]["HTTP-SECURE-JSON"]
    claims = open_token(token)[2]
    assert claims["cid"] == f"consumer.{helpers.CLOUD_NAME}.{helpers.CLOUD_OPERATOR}"
    assert claims["sid"] == "temperature"
    assert claims["exp"] - claims["iat"] == 300


def test_token_duration_negative_no_exp(secure_client):
    body = token_body()
    body["providers"][0]["tokenDuration"] = -1

    response = post_token(secure_client, body)

    token = response.json["tokenData"][0]["tokens"]["HTTP-SECURE-JSON"]
    assert "exp" not in open_token(token)[2]


def test_token_duration_omitted_uses_setting(secure_client):
    body = token_body()
    del body["providers"][0]["tokenDuration"]

    response = post_token(secure_client, body)

    token = response.json["tokenData"][0]["tokens"]["HTTP-SECURE-JSON"]
    claims = open_token(token)[2]
    assert claims["exp"] - claims["iat"] == 3600


def test_token_consumer_cloud(secure_client):
    body = token_body(consumerCloud={"operator": "Op2", "name": "Cloud2"})

    response = post_token(secure_client, body)

    token = response.json["tokenData"][0]["tokens"]["HTTP-SECURE-JSON"]
    assert open_token(token)[2]["cid"] == "consumer.cloud2.op2"


def test_token_interface_kept_as_given(secure_client):
    body = token_body()
    body["providers"][0]["serviceInterfaces"] = ["http-secure-json"]

    response = post_token(secure_client, body)

    tokens = response.json["tokenData"][0]["tokens"]
    assert list(tokens) == ["http-secure-json"]
    assert open_token(tokens["http-secure-json"])[2]["iid"] == "http-secure-json"


def test_token_skips_unusable_provider(secure_client):
    body = token_body()
    broken = dict(body["providers"][0])
    broken["provider"] = helpers.system_body("broken", 9100, authenticationInfo="AAAA")
    body["providers"].insert(0, broken)

    response = post_token(secure_client, body)

    names = [item["providerName"] for item in response.json["tokenData"]]
    assert names == ["Provider"]


def test_token_no_usable_provider(secure_client):
    body = token_body()
    body["providers"][0]["provider"]["authenticationInfo"] = "bm90IGEga2V5"

    response = post_token(secure_client, body)

    assert response.status_code == 400
    assert response.json["exceptionType"] == "INVALID_PARAMETER"
    assert response.json["errorMessage"] == (
        "Token generation failed for all the provider systems."
    )


def _without(path):
    body = token_body()
    target = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


@pytest.mark.parametrize(
    "body",
    [
        _without(["consumer"]),
        _without(["service"]),
        _without(["providers"]),
        token_body(providers=[]),
        token_body(service=" "),
        token_body(consumer=helpers.system_body(" ", 7000)),
        token_body(consumerCloud={"name": "cloud2"}),
        _without(["providers", 0, "provider", "authenticationInfo"]),
        _without(["providers", 0, "serviceInterfaces"]),
    ],
    ids=[
        "no-consumer",
        "no-service",
        "no-providers",
        "empty-providers",
        "blank-service",
        "blank-consumer",
        "cloud-without-operator",
        "no-authentication-info",
        "no-interfaces",
    ],
)
def test_token_invalid_payload(secure_client, body):
    response = post_token(secure_client, body)

    assert response.status_code == 400
    assert response.json["exceptionType"] == "BAD_PAYLOAD"


@pytest.mark.parametrize("interfaces", [[], ["JSON"], ["HTTP-SECURE"]])
def test_token_invalid_interfaces(secure_client, interfaces):
    body = token_body()
    body["providers"][0]["serviceInterfaces"] = interfaces

    response = post_token(secure_client, body)

    assert response.status_code == 400


def test_token_insecure_mode(client):
    response = client.post("/authorization/token", json=token_body())

    assert response.status_code == 500
    assert response.json["exceptionType"] == "ARROWHEAD"
    assert response.json["errorMessage"] == (
        "Token generation is not possible in insecure mode."
    )


def test_token_multi(secure_client):
    second = token_body(service="humidity")

    response = post_token(
        secure_client, [token_body(), second], url="/authorization/token/multi"
    )

    assert response.status_code == 200
    data = response.json["data"]
    assert [item["service"] for item in data] == ["Temperature", "humidity"]
    assert data[0]["consumerName"] == "Consumer"
    assert data[0]["consumerAdress"] == "127.0.0.1"
    assert data[0]["consumerPort"] == 7000
    token = data[1]["tokenData"][0]["tokens"]["HTTP-SECURE-JSON"]
    assert open_token(token)[2]["sid"] == "humidity"


@pytest.mark.parametrize("body", [[], {"consumer": {}}], ids=["empty", "object"])
def test_token_multi_invalid(secure_client, body):
    response = post_token(secure_client, body, url="/authorization/token/multi")

    assert response.status_code == 400


def test_public_key(secure_client):
    response = secure_client.get(
        "/authorization/publickey", environ_overrides=helpers.caller("consumer")
    )

    assert response.status_code == 200
    assert response.is_json
    assert response.get_data(as_text=True).startswith('"')
    der = base64.b64decode(response.json)
    expected = helpers.authorization_public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert der == expected


def test_public_key_insecure_mode(client):
    response = client.get("/authorization/publickey")

    assert response.status_code == 500
    assert response.json["errorMessage"] == (
        "Authorization core service runs in insecure mode."
    )
