"""Build tokens by hand and with joserfc, including malicious ones."""

import base64
import hashlib
import hmac
import json
import time
import warnings

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jwe
from joserfc.jwk import RSAKey

from tests import helpers
from tests.authorization.tokencheck import open_token  # noqa: F401 - re-exported

CONSUMER = "consumer"
SERVICE = "temperature"
INTERFACE = "HTTP-SECURE-JSON"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims(**overrides) -> dict:
    """Return valid claims for consumer, temperature and HTTP-SECURE-JSON."""
    now = int(time.time())
    values = {
        "iss": "Authorization",
        "jti": "c2VjcmV0LWp0aS12YWx1ZQ",
        "iat": now,
        "nbf": now - 60,
        "exp": now + 600,
        "cid": f"{CONSUMER}.{helpers.CLOUD_NAME}.{helpers.CLOUD_OPERATOR}",
        "sid": SERVICE,
        "iid": INTERFACE,
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def sign_rsa(header: dict, payload: dict, key=None, algorithm=hashes.SHA512, pss=False):
    """Return a compact JWS signed with an RSA key (default the Authorization key)."""
    key = key or helpers.rsa_key("authorization")
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}".encode()
    if pss:
        scheme = padding.PSS(
            mgf=padding.MGF1(algorithm()), salt_length=algorithm.digest_size
        )
    else:
        scheme = padding.PKCS1v15()
    signature = key.sign(signing_input, scheme, algorithm())
    return f"{signing_input.decode()}.{b64url(signature)}"


def sign_hmac(header: dict, payload: dict, secret: bytes, digest=hashlib.sha256):
    """Return a compact JWS with an HMAC over ``secret``."""
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}".encode()
    signature = hmac.new(secret, signing_input, digest).digest()
    return f"{signing_input.decode()}.{b64url(signature)}"


def unsigned(payload: dict) -> str:
    """Return a JWS with ``alg`` none and an empty signature."""
    return f"{b64url_json({'alg': 'none', 'typ': 'JWT'})}.{b64url_json(payload)}."


def authorization_public_der() -> bytes:
    return helpers.authorization_public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def authorization_public_pem() -> bytes:
    return helpers.authorization_public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def encrypt(
    plaintext: str,
    alg: str = "RSA-OAEP-256",
    enc: str = "A256CBC-HS512",
    provider_key_name: str = "provider",
    **header,
) -> str:
    """Return a compact JWE of ``plaintext`` made by joserfc."""
    protected = {"alg": alg, "enc": enc, "cty": "JWT", **header}
    key = RSAKey.import_key(helpers.rsa_key(provider_key_name).public_key())
    algorithms = [alg, enc, *([header["zip"]] if "zip" in header else [])]
    with warnings.catch_warnings():
        # joserfc warns about deprecated algorithms such as RSA1_5.
        warnings.simplefilter("ignore")
        return jwe.encrypt_compact(protected, plaintext, key, algorithms=algorithms)


def valid_token(**claim_overrides) -> str:
    """Return a well-formed token with the given claims, built with joserfc."""
    return encrypt(sign_rsa({"alg": "RS512", "typ": "JWT"}, claims(**claim_overrides)))
