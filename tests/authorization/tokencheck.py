"""Decrypt and verify tokens with joserfc, independently of python-jose."""

import json

from joserfc import jwe
from joserfc import jws
from joserfc.jwk import RSAKey

from tests import helpers


def open_token(token: str, provider_key_name: str = "provider") -> tuple:
    """Return the JWE header, the JWS header and the claims of a token.

    :raises joserfc.errors.JoseError: when the token does not decrypt with the
        provider's key or its signature does not verify with the Authorization key.
    """
    provider_key = RSAKey.import_key(helpers.rsa_key(provider_key_name))
    encrypted = jwe.decrypt_compact(
        token, provider_key, algorithms=["RSA-OAEP-256", "A256CBC-HS512"]
    )
    authorization_key = RSAKey.import_key(helpers.authorization_public_key())
    signed = jws.deserialize_compact(
        encrypted.plaintext, authorization_key, algorithms=["RS512"]
    )
    return encrypted.protected, signed.protected, json.loads(signed.payload)
