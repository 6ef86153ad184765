"""verify_token: the checks a provider runs on every token it receives."""

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes

from arrowhead_lite.security import tokens
from tests import helpers
from tests.authorization import forge


def verify(token, **expected):
    return tokens.verify_token(
        token,
        helpers.rsa_key("provider"),
        helpers.authorization_public_key(),
        expected.get("consumer", forge.CONSUMER),
        expected.get("service", forge.SERVICE),
        expected.get("interface", forge.INTERFACE),
    )


def issued_token(**claim_overrides) -> str:
    """Return a token issued by our own code for the test provider key."""
    return tokens.issue_token(
        forge.claims(**claim_overrides),
        helpers.rsa_key("authorization"),
        helpers.rsa_key("provider").public_key(),
    )


def test_verify_token_of_joserfc():
    claims = verify(forge.valid_token())

    assert claims["sid"] == forge.SERVICE


def test_verify_token_of_issue_token():
    claims = verify(issued_token())

    assert claims["iid"] == forge.INTERFACE


def test_verify_ignores_case_of_expectations():
    claims = verify(
        issued_token(),
        consumer="Consumer",
        service="Temperature",
        interface="http-secure-json",
    )

    assert claims["cid"].startswith("consumer.")


def test_verify_full_consumer_id():
    full_id = f"consumer.{helpers.CLOUD_NAME}.{helpers.CLOUD_OPERATOR}"

    assert verify(issued_token(), consumer=full_id)["cid"] == full_id


def test_verify_full_consumer_id_other_cloud():
    with pytest.raises(tokens.ConsumerMismatch):
        verify(issued_token(), consumer="consumer.othercloud.aitia")


def test_verify_token_without_exp():
    claims = verify(issued_token(exp=None))

    assert "exp" not in claims


def test_verify_rejects_alg_none():
    token = forge.encrypt(forge.unsigned(forge.claims()))

    with pytest.raises(tokens.DisallowedAlgorithm):
        verify(token)


@pytest.mark.parametrize(
    ("alg", "digest", "secret"),
    [
        ("HS256", hashlib.sha256, forge.authorization_public_der),
        ("HS512", hashlib.sha512, forge.authorization_public_der),
        ("HS256", hashlib.sha256, forge.authorization_public_pem),
        ("HS512", hashlib.sha512, forge.authorization_public_pem),
    ],
    ids=["hs256-der", "hs512-der", "hs256-pem", "hs512-pem"],
)
def test_verify_rejects_hmac_with_public_key(alg, digest, secret):
    inner = forge.sign_hmac(
        {"alg": alg, "typ": "JWT"}, forge.claims(), secret(), digest
    )

    with pytest.raises(tokens.DisallowedAlgorithm):
        verify(forge.encrypt(inner))


def test_verify_rejects_rs256():
    inner = forge.sign_rsa(
        {"alg": "RS256", "typ": "JWT"}, forge.claims(), algorithm=hashes.SHA256
    )

    with pytest.raises(tokens.DisallowedAlgorithm):
        verify(forge.encrypt(inner))


def test_verify_rejects_ps512():
    inner = forge.sign_rsa({"alg": "PS512", "typ": "JWT"}, forge.claims(), pss=True)

    with pytest.raises(tokens.DisallowedAlgorithm):
        verify(forge.encrypt(inner))


def test_verify_rejects_rsa1_5_encryption():
    inner = forge.sign_rsa({"alg": "RS512"}, forge.claims())

    with pytest.raises(tokens.DisallowedAlgorithm):
        verify(forge.encrypt(inner, alg="RSA1_5"))


def test_verify_rejects_rsa_oaep_sha1():
    inner = forge.sign_rsa({"alg": "RS512"}, forge.claims())

    with pytest.raises(tokens.DisallowedAlgorithm):
        verify(forge.encrypt(inner, alg="RSA-OAEP"))


def test_verify_rejects_a256gcm_content():
    inner = forge.sign_rsa({"alg": "RS512"}, forge.claims())

    with pytest.raises(tokens.DisallowedAlgorithm):
        verify(forge.encrypt(inner, enc="A256GCM"))


def test_verify_rejects_dir_encryption():
    header = forge.b64url_json({"alg": "dir", "enc": "A256CBC-HS512", "cty": "JWT"})
    iv, ciphertext, tag = (forge.b64url(b"0" * 16), forge.b64url(b"x" * 32), "AAAA")
    token = f"{header}..{iv}.{ciphertext}.{tag}"

    with pytest.raises(tokens.DisallowedAlgorithm):
        verify(token)


def test_verify_rejects_zip_header():
    inner = forge.sign_rsa({"alg": "RS512"}, forge.claims())

    with pytest.raises(tokens.CompressedToken):
        verify(forge.encrypt(inner, zip="DEF"))


def test_verify_rejects_oversized_before_parsing(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the token was parsed")

    monkeypatch.setattr(tokens, "_decode_header", fail)
    monkeypatch.setattr(tokens.jwe, "decrypt", fail)
    token = ".".join(["a" * 4000] * 5)

    with pytest.raises(tokens.TokenTooLarge):
        verify(token)


def test_verify_rejects_expired():
    with pytest.raises(tokens.TokenExpired):
        verify(forge.valid_token(exp=forge.claims()["iat"] - 120))


def test_verify_rejects_future_nbf():
    with pytest.raises(tokens.TokenNotYetValid):
        verify(forge.valid_token(nbf=forge.claims()["iat"] + 600))


def test_verify_rejects_future_iat():
    with pytest.raises(tokens.TokenNotYetValid):
        verify(forge.valid_token(iat=forge.claims()["iat"] + 600))


def test_verify_leeway_accepts_skew():
    token = forge.valid_token(nbf=forge.claims()["iat"] + 20)

    claims = tokens.verify_token(
        token,
        helpers.rsa_key("provider"),
        helpers.authorization_public_key(),
        forge.CONSUMER,
        forge.SERVICE,
        forge.INTERFACE,
        leeway_seconds=30,
    )

    assert claims["iss"] == "Authorization"


def test_verify_rejects_wrong_issuer():
    with pytest.raises(tokens.WrongIssuer):
        verify(forge.valid_token(iss="Gatekeeper"))


def test_verify_rejects_wrong_consumer():
    with pytest.raises(tokens.ConsumerMismatch):
        verify(forge.valid_token(), consumer="intruder")


def test_verify_rejects_consumer_prefix_only():
    token = forge.valid_token(
        cid=f"consumer2.{helpers.CLOUD_NAME}.{helpers.CLOUD_OPERATOR}"
    )

    with pytest.raises(tokens.ConsumerMismatch):
        verify(token)


def test_verify_rejects_wrong_service():
    with pytest.raises(tokens.ServiceMismatch):
        verify(forge.valid_token(), service="humidity")


def test_verify_rejects_wrong_interface():
    with pytest.raises(tokens.InterfaceMismatch):
        verify(forge.valid_token(), interface="HTTP-INSECURE-JSON")


@pytest.mark.parametrize("claim", ["iss", "jti", "nbf", "cid", "sid", "iid"])
def test_verify_rejects_missing_claim(claim):
    with pytest.raises(tokens.MissingClaim):
        verify(forge.valid_token(**{claim: None}))


def test_verify_rejects_string_exp():
    with pytest.raises(tokens.MissingClaim):
        verify(forge.valid_token(exp="tomorrow"))


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_verify_rejects_non_finite_time(claim, value):
    with pytest.raises(tokens.MissingClaim):
        verify(forge.valid_token(**{claim: value}))


def test_verify_accepts_huge_integer_exp():
    assert verify(forge.valid_token(exp=10**400))["exp"] == 10**400


def test_verify_rejects_other_signer():
    inner = forge.sign_rsa(
        {"alg": "RS512"}, forge.claims(), key=helpers.rsa_key("intruder")
    )

    with pytest.raises(tokens.SignatureInvalid):
        verify(forge.encrypt(inner))


def test_verify_rejects_other_recipient():
    inner = forge.sign_rsa({"alg": "RS512"}, forge.claims())

    with pytest.raises(tokens.DecryptionFailed):
        verify(forge.encrypt(inner, provider_key_name="other"))


def test_verify_rejects_tampered_ciphertext():
    parts = forge.valid_token().split(".")
    parts[3] = parts[3][:-4] + ("AAAA" if parts[3][-4:] != "AAAA" else "BBBB")

    with pytest.raises(tokens.DecryptionFailed):
        verify(".".join(parts))


@pytest.mark.parametrize(
    "token",
    ["", "not a token", "a.b.c", "a.b.c.d.e", None, 42],
    ids=["empty", "text", "three-parts", "garbage-header", "none", "number"],
)
def test_verify_rejects_malformed(token):
    with pytest.raises(tokens.MalformedToken):
        verify(token)


def test_verify_rejects_plain_jws():
    inner = forge.sign_rsa({"alg": "RS512"}, forge.claims())

    with pytest.raises(tokens.MalformedToken):
        verify(inner)


def test_verify_requires_key_objects():
    with pytest.raises(TypeError):
        tokens.verify_token(
            forge.valid_token(),
            helpers.rsa_key("provider"),
            forge.authorization_public_pem(),
            forge.CONSUMER,
            forge.SERVICE,
            forge.INTERFACE,
        )


def test_rejections_are_401():
    with pytest.raises(tokens.TokenRejected) as raised:
        verify(forge.valid_token(iss="Gatekeeper"))

    assert raised.value.status == 401


def test_jose_rejects_rsa_key_as_hmac_secret():
    from jose import jws
    from jose.exceptions import JOSEError

    inner = forge.sign_hmac(
        {"alg": "HS256"}, forge.claims(), forge.authorization_public_der()
    )

    with pytest.raises(JOSEError):
        jws.verify(inner, helpers.authorization_public_key(), algorithms=["HS256"])


@pytest.mark.parametrize("segment", range(5))
@pytest.mark.parametrize("keep", [0, 10])
def test_verify_rejects_truncated_segment(segment, keep):
    parts = forge.valid_token().split(".")
    parts[segment] = parts[segment][:keep]

    with pytest.raises(tokens.TokenRejected):
        verify(".".join(parts))
