"""token_required: the decorator providers put on their Flask views."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask import g

from arrowhead_lite.security import tokens
from tests import helpers
from tests.authorization import forge

URL = "/temperature"


@pytest.fixture
def provider_client():
    provider = Flask("provider")
    tokens.configure_token_verification(
        provider, helpers.rsa_key("provider"), helpers.authorization_public_key()
    )

    @provider.get(URL)
    @tokens.token_required(forge.SERVICE, forge.INTERFACE)
    def read_temperature():
        return {"cid": g.arrowhead_token_claims["cid"]}

    return provider.test_client()


def test_token_query_parameter(provider_client):
    response = provider_client.get(
        URL,
        query_string={"token": forge.valid_token()},
        environ_overrides=helpers.caller(forge.CONSUMER),
    )

    assert response.status_code == 200
    assert response.json["cid"].startswith("consumer.")


def test_bearer_header(provider_client):
    response = provider_client.get(
        URL,
        headers={"Authorization": f"Bearer {forge.valid_token()}"},
        environ_overrides=helpers.caller(forge.CONSUMER),
    )

    assert response.status_code == 200


def test_werkzeug_client_certificate(provider_client):
    der = helpers.certificate_der(f"{forge.CONSUMER}.{helpers.CLOUD_CN}")
    pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)

    response = provider_client.get(
        URL,
        query_string={"token": forge.valid_token()},
        environ_overrides={"SSL_CLIENT_CERT": pem.decode()},
    )

    assert response.status_code == 200


def test_missing_token_is_401(provider_client):
    response = provider_client.get(
        URL, environ_overrides=helpers.caller(forge.CONSUMER)
    )

    assert response.status_code == 401
    assert response.json["exceptionType"] == "AUTH"
    assert "no token" in response.json["errorMessage"]


def test_missing_certificate_is_401(provider_client):
    response = provider_client.get(URL, query_string={"token": forge.valid_token()})

    assert response.status_code == 401
    assert "client certificate" in response.json["errorMessage"]


def test_other_consumer_is_401(provider_client):
    response = provider_client.get(
        URL,
        query_string={"token": forge.valid_token()},
        environ_overrides=helpers.caller("intruder"),
    )

    assert response.status_code == 401
    assert response.json["origin"] == URL


def test_forged_token_is_401(provider_client):
    inner = forge.unsigned(forge.claims())

    response = provider_client.get(
        URL,
        query_string={"token": forge.encrypt(inner)},
        environ_overrides=helpers.caller(forge.CONSUMER),
    )

    assert response.status_code == 401


def test_custom_consumer_name():
    provider = Flask("provider")
    tokens.configure_token_verification(
        provider, helpers.rsa_key("provider"), helpers.authorization_public_key()
    )

    @provider.get(URL)
    @tokens.token_required(
        forge.SERVICE, forge.INTERFACE, consumer_name=lambda: forge.CONSUMER
    )
    def read_temperature():
        return "ok"

    response = provider.test_client().get(
        URL, query_string={"token": forge.valid_token()}
    )

    assert response.status_code == 200


def test_configure_rejects_pem_bytes():
    with pytest.raises(TypeError):
        tokens.configure_token_verification(
            Flask("provider"),
            helpers.rsa_key("provider"),
            forge.authorization_public_pem(),
        )


def test_service_token_passes_decorator(secure_client, provider_client):
    body = {
        "consumer": helpers.system_body("consumer", 7000),
        "providers": [
            {
                "provider": helpers.system_body(
                    "provider",
                    9000,
                    authenticationInfo=helpers.public_key_base64("provider"),
                ),
                "serviceInterfaces": [forge.INTERFACE],
            }
        ],
        "service": forge.SERVICE,
    }
    issued = secure_client.post(
        "/authorization/token",
        json=body,
        environ_overrides=helpers.caller("orchestrator"),
    )
    token = issued.json["tokenData"][0]["tokens"][forge.INTERFACE]

    response = provider_client.get(
        URL,
        query_string={"token": token},
        environ_overrides=helpers.caller(forge.CONSUMER),
    )

    assert response.status_code == 200
