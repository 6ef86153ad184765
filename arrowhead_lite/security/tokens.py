"""Authorization tokens in the Arrowhead 4.x format: issuing and verifying.

A token is a JWT signed RS512 with the Authorization private key (a compact
JWS) and encrypted to the provider's RSA public key as a compact JWE with
``alg`` RSA-OAEP-256, ``enc`` A256CBC-HS512 and ``cty`` JWT. Its claims are
``iss`` ("Authorization"), ``jti``, ``iat``, ``nbf`` (``iat`` minus 60 s),
``exp`` (only for a positive lifetime), ``cid`` (``<consumer>.<cloud>.<operator>``,
lower-case), ``sid`` (the service definition, lower-case) and ``iid`` (the
interface name).

Verification accepts exactly these algorithms and RSA key objects. python-jose
3.5 takes the JWE ``alg`` and ``enc`` from the token itself, so both headers are
checked before anything is decrypted.
"""

import base64
import binascii
import functools
import json
import logging
import math
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask
from flask import current_app
from flask import g
from flask import request
from jose import jwe
from jose import jws
from jose.exceptions import JOSEError

from ..errors import Unauthorized
from ..errors import error_body

logger = logging.getLogger(__name__)

ISSUER = "Authorization"
SIGNATURE_ALGORITHM = "RS512"
KEY_MANAGEMENT_ALGORITHM = "RSA-OAEP-256"
CONTENT_ENCRYPTION_ALGORITHM = "A256CBC-HS512"
CONTENT_TYPE = "JWT"
NOT_BEFORE_OFFSET_SECONDS = 60

# A token for RSA-4096 keys with typical claims measures about 2.2 KB. Longer
# tokens are rejected before any parsing.
MAX_TOKEN_LENGTH = 8192

REQUIRED_CLAIMS = ("iss", "jti", "nbf", "cid", "sid", "iid")
VERIFICATION_EXTENSION_KEY = "arrowhead_token_verification"
TOKEN_QUERY_PARAMETER = "token"

_COMPACT_JWE = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){4}$")
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$")


class TokenRejected(Unauthorized):
    """The token is not acceptable; the subclass names the reason."""


class TokenTooLarge(TokenRejected):
    """The token is longer than ``MAX_TOKEN_LENGTH``."""


class MalformedToken(TokenRejected):
    """The token is not a compact JWE holding a compact JWS with JSON claims."""


class DisallowedAlgorithm(TokenRejected):
    """A header names an algorithm other than RSA-OAEP-256, A256CBC-HS512, RS512."""


class CompressedToken(TokenRejected):
    """The JWE header requests compression (``zip``), which is never accepted."""


class DecryptionFailed(TokenRejected):
    """The JWE does not decrypt with the provider's private key."""


class SignatureInvalid(TokenRejected):
    """The inner JWS is not signed by the Authorization private key."""


class MissingClaim(TokenRejected):
    """A required claim is absent or has the wrong type."""


class WrongIssuer(TokenRejected):
    """``iss`` is not ``Authorization``."""


class TokenExpired(TokenRejected):
    """``exp`` has passed."""


class TokenNotYetValid(TokenRejected):
    """``nbf`` or ``iat`` is in the future."""


class ClaimMismatch(TokenRejected):
    """A claim names another consumer, service or interface than expected."""


class ConsumerMismatch(ClaimMismatch):
    """``cid`` names another consumer system."""


class ServiceMismatch(ClaimMismatch):
    """``sid`` names another service definition."""


class InterfaceMismatch(ClaimMismatch):
    """``iid`` names another interface."""


def build_claims(
    consumer_id: str,
    service_definition: str,
    interface: str,
    lifetime_seconds: int,
    now: int | None = None,
) -> dict[str, Any]:
    """Return the claims of one token.

    :param consumer_id: ``<consumer>.<cloud>.<operator>``; stored lower-case.
    :param lifetime_seconds: seconds until ``exp``; 0 or less leaves ``exp`` out.
    :param now: the issue time in seconds since the epoch; default the clock.
    """
    issued_at = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "jti": secrets.token_urlsafe(16),
        "iat": issued_at,
        "nbf": issued_at - NOT_BEFORE_OFFSET_SECONDS,
    }
    if lifetime_seconds > 0:
        claims["exp"] = issued_at + lifetime_seconds

    claims["cid"] = consumer_id.lower()
    claims["sid"] = service_definition.lower()
    claims["iid"] = interface
    return claims


def issue_token(
    claims: dict[str, Any],
    signing_key: rsa.RSAPrivateKey,
    provider_key: rsa.RSAPublicKey,
) -> str:
    """Sign ``claims`` RS512 and encrypt the JWS to the provider's key.

    :raises TypeError: when a key is not a ``cryptography`` RSA key object.
    """
    if not isinstance(signing_key, rsa.RSAPrivateKey):
        raise TypeError("signing_key must be a cryptography RSAPrivateKey")
    if not isinstance(provider_key, rsa.RSAPublicKey):
        raise TypeError("provider_key must be a cryptography RSAPublicKey")

    signed = jws.sign(claims, signing_key, algorithm=SIGNATURE_ALGORITHM)
    encrypted = jwe.encrypt(
        signed,
        provider_key,
        encryption=CONTENT_ENCRYPTION_ALGORITHM,
        algorithm=KEY_MANAGEMENT_ALGORITHM,
        cty=CONTENT_TYPE,
    )
    return encrypted.decode("ascii")


def verify_token(
    token: str,
    provider_private_key: rsa.RSAPrivateKey,
    authorization_public_key: rsa.RSAPublicKey,
    consumer_name: str,
    service_definition: str,
    interface: str,
    *,
    now: float | None = None,
    leeway_seconds: int = 0,
) -> dict[str, Any]:
    """Decrypt and verify a token and return its claims.

    :param token: the compact JWE as the consumer sent it.
    :param provider_private_key: the provider's key the token was encrypted to.
    :param authorization_public_key: the key from ``GET /authorization/publickey``.
    :param consumer_name: the consumer's system name, taken from its client
        certificate; it must equal the part of ``cid`` before the first dot,
        ignoring case. With dots it must equal the whole ``cid``.
    :param service_definition: the service; compared with ``sid`` ignoring case.
    :param interface: the interface; compared with ``iid`` ignoring case.
    :param now: the current time in seconds since the epoch; default the clock.
    :param leeway_seconds: clock skew tolerated for ``exp``, ``nbf`` and ``iat``.
    :raises TypeError: when a key is not a ``cryptography`` RSA key object.
    :raises TokenRejected: a subclass naming the reason the token is rejected.
    """
    if not isinstance(provider_private_key, rsa.RSAPrivateKey):
        raise TypeError("provider_private_key must be a cryptography RSAPrivateKey")
    if not isinstance(authorization_public_key, rsa.RSAPublicKey):
        raise TypeError("authorization_public_key must be a cryptography RSAPublicKey")

    signed = _decrypt(token, provider_private_key)
    claims = _verify_signature(signed, authorization_public_key)
    _check_claims(
        claims,
        consumer_name,
        service_definition,
        interface,
        time.time() if now is None else now,
        leeway_seconds,
    )
    return claims


def _decrypt(token: Any, private_key: rsa.RSAPrivateKey) -> str:
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedToken("The token is not ASCII text.") from None
    if not isinstance(token, str):
        raise MalformedToken("The token is not a string.")

    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenTooLarge(
            f"The token has {len(token)} characters; at most {MAX_TOKEN_LENGTH} "
            "are accepted."
        )
    if not _COMPACT_JWE.match(token):
        raise MalformedToken(
            "The token is not a compact JWE (five Base64url parts separated by dots)."
        )

    header = _decode_header(token, "JWE")
    if "zip" in header:
        raise CompressedToken("The token's JWE header requests compression (zip).")
    if "crit" in header:
        raise MalformedToken("The token's JWE header has critical extensions (crit).")
    if header.get("alg") != KEY_MANAGEMENT_ALGORITHM:
        raise DisallowedAlgorithm(
            f"The token's JWE alg is {header.get('alg')!r}; only "
            f"{KEY_MANAGEMENT_ALGORITHM} is accepted."
        )
    if header.get("enc") != CONTENT_ENCRYPTION_ALGORITHM:
        raise DisallowedAlgorithm(
            f"The token's JWE enc is {header.get('enc')!r}; only "
            f"{CONTENT_ENCRYPTION_ALGORITHM} is accepted."
        )

    try:
        plaintext = jwe.decrypt(token, private_key)
    except (JOSEError, ValueError, TypeError) as error:
        raise DecryptionFailed(
            f"The token does not decrypt with the provider's key: {error}"
        ) from None
    if plaintext is None:
        raise DecryptionFailed("The token does not decrypt with the provider's key.")

    try:
        return plaintext.decode("ascii")
    except UnicodeDecodeError:
        raise MalformedToken("The token's content is not a compact JWS.") from None


def _verify_signature(signed: str, public_key: rsa.RSAPublicKey) -> dict[str, Any]:
    if not _COMPACT_JWS.match(signed):
        raise MalformedToken(
            "The token's content is not a compact JWS (three Base64url parts)."
        )

    header = _decode_header(signed, "JWS")
    if "crit" in header:
        raise MalformedToken("The token's JWS header has critical extensions (crit).")
    if header.get("alg") != SIGNATURE_ALGORITHM:
        raise DisallowedAlgorithm(
            f"The token's JWS alg is {header.get('alg')!r}; only "
            f"{SIGNATURE_ALGORITHM} is accepted."
        )

    try:
        payload = jws.verify(signed, public_key, algorithms=[SIGNATURE_ALGORITHM])
    except (JOSEError, ValueError, TypeError):
        raise SignatureInvalid(
            "The token's signature does not verify with the Authorization public key."
        ) from None

    try:
        claims = json.loads(payload)
    except (ValueError, RecursionError):
        raise MalformedToken("The token's claims are not JSON.") from None
    if not isinstance(claims, dict):
        raise MalformedToken("The token's claims are not a JSON object.")
    return claims


def _decode_header(compact: str, kind: str) -> dict[str, Any]:
    segment = compact.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        header = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise MalformedToken(
            f"The token's {kind} header is not Base64url JSON."
        ) from None

    if not isinstance(header, dict):
        raise MalformedToken(f"The token's {kind} header is not a JSON object.")
    return header


def _check_claims(
    claims: dict[str, Any],
    consumer_name: str,
    service_definition: str,
    interface: str,
    now: float,
    leeway_seconds: int,
) -> None:
    for name in REQUIRED_CLAIMS:
        if name not in claims:
            raise MissingClaim(f"The token has no {name} claim.")
    for name in ("iss", "jti", "cid", "sid", "iid"):
        if not isinstance(claims[name], str):
            raise MissingClaim(f"The token's {name} claim is not a string.")

    if claims["iss"] != ISSUER:
        raise WrongIssuer(f"The token's issuer is {claims['iss']!r}, not {ISSUER!r}.")

    if "exp" in claims and _numeric_date(claims, "exp") <= now - leeway_seconds:
        raise TokenExpired("The token has expired.")
    if _numeric_date(claims, "nbf") > now + leeway_seconds:
        raise TokenNotYetValid("The token is not valid yet (nbf is in the future).")
    if "iat" in claims and _numeric_date(claims, "iat") > now + leeway_seconds:
        raise TokenNotYetValid("The token was issued in the future (iat).")

    cid = claims["cid"].lower()
    expected_consumer = consumer_name.strip().lower()
    presented_consumer = cid if "." in expected_consumer else cid.split(".", 1)[0]
    if presented_consumer != expected_consumer:
        raise ConsumerMismatch(
            f"The token was issued to {claims['cid']!r}, not to {consumer_name!r}."
        )

    if claims["sid"].lower() != service_definition.strip().lower():
        raise ServiceMismatch(
            f"The token is for service {claims['sid']!r}, not {service_definition!r}."
        )
    if claims["iid"].upper() != interface.strip().upper():
        raise InterfaceMismatch(
            f"The token is for interface {claims['iid']!r}, not {interface!r}."
        )


def _numeric_date(claims: dict[str, Any], name: str) -> float:
    value = claims[name]
    # Python's json module reads NaN and Infinity, and NaN compares false with
    # every time, so an "exp": NaN would never expire.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        raise MissingClaim(f"The token's {name} claim is not a number of seconds.")
    return value


def configure_token_verification(
    app: Flask,
    provider_private_key: rsa.RSAPrivateKey,
    authorization_public_key: rsa.RSAPublicKey,
) -> None:
    """Give ``token_required`` the keys it verifies tokens with in ``app``.

    Load the keys once, for example with
    ``keys.load_private_key_file("provider.key")`` and
    ``keys.public_key_from_base64(<body of GET /authorization/publickey>)``.

    :raises TypeError: when a key is not a ``cryptography`` RSA key object.
    """
    if not isinstance(provider_private_key, rsa.RSAPrivateKey):
        raise TypeError("provider_private_key must be a cryptography RSAPrivateKey")
    if not isinstance(authorization_public_key, rsa.RSAPublicKey):
        raise TypeError("authorization_public_key must be a cryptography RSAPublicKey")
    app.extensions[VERIFICATION_EXTENSION_KEY] = (
        provider_private_key,
        authorization_public_key,
    )


def token_from_request() -> str | None:
    """Return the token from the ``token`` query parameter or a Bearer header."""
    token = request.args.get(TOKEN_QUERY_PARAMETER)
    if token:
        return token

    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def client_certificate_system_name() -> str | None:
    """Return the first CN label of the caller's client certificate, if any.

    Reads the certificate from gunicorn's TLS socket, or from ``SSL_CLIENT_CERT``
    as the Werkzeug development server sets it.
    """
    certificate = None
    connection = request.environ.get("gunicorn.socket")
    getpeercert = getattr(connection, "getpeercert", None)
    if getpeercert is not None:
        der = getpeercert(binary_form=True)
        if der:
            certificate = x509.load_der_x509_certificate(der)

    pem = request.environ.get("SSL_CLIENT_CERT")
    if certificate is None and pem:
        try:
            certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
        except ValueError:
            logger.warning("SSL_CLIENT_CERT is not a PEM certificate")
            return None

    if certificate is None:
        return None
    attributes = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attributes:
        return None
    common_name = attributes[0].value
    if isinstance(common_name, bytes):
        common_name = common_name.decode("utf-8", "replace")
    return common_name.split(".", 1)[0].lower()


def token_required(
    service_definition: str,
    interface: str,
    *,
    consumer_name: Callable[[], str | None] = client_certificate_system_name,
) -> Callable:
    """Let a provider's Flask view run only with a valid token for this service.

    The token is read from the ``token`` query parameter or an
    ``Authorization: Bearer`` header and checked with ``verify_token`` against
    the keys given to ``configure_token_verification``. The claims are stored in
    ``flask.g.arrowhead_token_claims``. A rejected request gets a 401
    ErrorMessageDTO without running the view.

    :param consumer_name: returns the calling consumer's system name; by default
        the first CN label of its client certificate.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            try:
                g.arrowhead_token_claims = _verify_request(
                    service_definition, interface, consumer_name
                )
            except TokenRejected as error:
                logger.warning(
                    "Rejected the token of %s %s: %s",
                    request.method,
                    request.path,
                    error.message,
                )
                return error_body(error.message, error.status, error.exception_type), (
                    error.status
                )
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _verify_request(
    service_definition: str,
    interface: str,
    consumer_name: Callable[[], str | None],
) -> dict[str, Any]:
    try:
        private_key, public_key = current_app.extensions[VERIFICATION_EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "call configure_token_verification(app, ...) before serving "
            "token_required views"
        ) from None

    token = token_from_request()
    if token is None:
        raise TokenRejected(
            "The request has no token; send it as the token query parameter or "
            "an Authorization: Bearer header."
        )

    name = consumer_name()
    if not name:
        raise TokenRejected(
            "The request has no client certificate naming the consumer."
        )
    return verify_token(
        token, private_key, public_key, name, service_definition, interface
    )
