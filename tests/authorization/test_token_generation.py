"""generate_tokens: reference-format tokens, checked with joserfc."""

import base64
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.errors import JoseError

from arrowhead_lite.authorization import services
from arrowhead_lite.errors import InsecureMode
from arrowhead_lite.errors import InvalidParameter
from tests import helpers
from tests.authorization.tokencheck import open_token


def provider(name="provider", key_name="provider", interfaces=("HTTP-SECURE-JSON",)):
    return services.TokenProvider(
        system_name=name,
        address="127.0.0.1",
        port=9000,
        authentication_info=helpers.public_key_base64(key_name),
        interfaces=tuple(interfaces),
    )


def generate(app, providers, **options):
    with app.app_context():
        return services.generate_tokens(
            options.pop("consumer", "Consumer"),
            options.pop("cloud", None),
            options.pop("service", "Temperature"),
            providers,
            **options,
        )


def test_token_opens_with_joserfc(secure_app):
    result = generate(secure_app, [provider()])

    encryption_header, signature_header, claims = open_token(
        result[0].tokens["HTTP-SECURE-JSON"]
    )

    assert encryption_header["alg"] == "RSA-OAEP-256"
    assert encryption_header["enc"] == "A256CBC-HS512"
    assert encryption_header["cty"] == "JWT"
    assert signature_header["alg"] == "RS512"
    assert claims["iss"] == "Authorization"


def test_token_claims(secure_app):
    before = int(time.time())
    result = generate(secure_app, [provider()], duration_seconds=600)

    claims = open_token(result[0].tokens["HTTP-SECURE-JSON"])[2]

    assert claims["cid"] == f"consumer.{helpers.CLOUD_NAME}.{helpers.CLOUD_OPERATOR}"
    assert claims["sid"] == "temperature"
    assert claims["iid"] == "HTTP-SECURE-JSON"
    assert before <= claims["iat"] <= before + 5
    assert claims["nbf"] == claims["iat"] - 60
    assert claims["exp"] == claims["iat"] + 600
    assert len(claims["jti"]) >= 16


def test_token_default_lifetime_from_setting(make_app):
    app = make_app(ARROWHEAD_TLS_MODE="direct", ARROWHEAD_TOKEN_LIFETIME_SECONDS=120)

    claims = open_token(generate(app, [provider()])[0].tokens["HTTP-SECURE-JSON"])[2]

    assert claims["exp"] - claims["iat"] == 120


@pytest.mark.parametrize("duration", [-1, 0])
def test_token_without_expiry(secure_app, duration):
    result = generate(secure_app, [provider()], duration_seconds=duration)

    claims = open_token(result[0].tokens["HTTP-SECURE-JSON"])[2]

    assert "exp" not in claims


def test_token_consumer_cloud(secure_app):
    result = generate(secure_app, [provider()], cloud=("OtherCloud", "Other-Op"))

    claims = open_token(result[0].tokens["HTTP-SECURE-JSON"])[2]

    assert claims["cid"] == "consumer.othercloud.other-op"


def test_tokens_one_per_interface(secure_app):
    interfaces = ("HTTP-SECURE-JSON", "COAP-SECURE-CBOR")

    result = generate(secure_app, [provider(interfaces=interfaces)])

    assert set(result[0].tokens) == set(interfaces)
    for name, token in result[0].tokens.items():
        assert open_token(token)[2]["iid"] == name


def test_tokens_have_distinct_ids(secure_app):
    result = generate(secure_app, [provider(), provider("second")])

    ids = {open_token(item.tokens["HTTP-SECURE-JSON"])[2]["jti"] for item in result}

    assert len(ids) == 2


def test_token_encrypted_to_its_provider(secure_app):
    result = generate(secure_app, [provider(key_name="provider")])

    with pytest.raises(JoseError):
        open_token(result[0].tokens["HTTP-SECURE-JSON"], provider_key_name="other")


def test_result_echoes_provider(secure_app):
    given = provider()

    result = generate(secure_app, [given])

    assert result[0].provider == given


def _base64_der(public_key) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


@pytest.mark.parametrize(
    "authentication_info",
    [
        None,
        "",
        "not base64!",
        base64.b64encode(b"not a key").decode(),
        _base64_der(ec.generate_private_key(ec.SECP256R1()).public_key()),
        _base64_der(
            rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
        ),
    ],
    ids=["none", "blank", "not-base64", "not-der", "ec-key", "rsa-1024"],
)
def test_unusable_provider_skipped(secure_app, authentication_info):
    unusable = services.TokenProvider(
        "broken", "127.0.0.1", 9001, authentication_info, ("HTTP-SECURE-JSON",)
    )

    result = generate(secure_app, [unusable, provider()])

    assert [item.provider.system_name for item in result] == ["provider"]


def test_no_usable_provider_is_400(secure_app):
    unusable = services.TokenProvider(
        "broken", "127.0.0.1", 9001, "AAAA", ("HTTP-SECURE-JSON",)
    )

    with pytest.raises(services.TokenGenerationFailed) as raised:
        generate(secure_app, [unusable])

    assert isinstance(raised.value, InvalidParameter)
    assert raised.value.status == 400
    assert raised.value.message == (
        "Token generation failed for all the provider systems."
    )


def test_insecure_mode_is_500(app):
    with pytest.raises(InsecureMode) as raised:
        generate(app, [provider()])

    assert raised.value.status == 500


def test_100_providers_load_key_once(make_app, monkeypatch):
    loads = []
    original = serialization.load_pem_private_key

    def counting_load(*args, **kwargs):
        loads.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(serialization, "load_pem_private_key", counting_load)
    app = make_app(ARROWHEAD_TLS_MODE="direct")
    providers = [provider(f"provider{i}") for i in range(100)]

    result = generate(app, providers)

    assert len(result) == 100
    assert len(loads) == 1
