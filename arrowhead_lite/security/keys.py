"""RSA keys of the token format: the Authorization key pair and provider keys.

Keys are always ``cryptography`` RSA key objects, never ``str`` or ``bytes``, so
python-jose can never use one of them as an HMAC secret. The Authorization key
pair is parsed once at start-up and kept in ``app.extensions``.
"""

import base64
import binascii
import logging
import os
from dataclasses import dataclass

import click
import jose.backends
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask import current_app

from ..config import ConfigError
from ..config import certs_dir

logger = logging.getLogger(__name__)

PRIVATE_KEY_FILE = "auth-private.pem"
PUBLIC_KEY_FILE = "auth-public.pem"
EXTENSION_KEY = "arrowhead_authorization_keys"

# Smallest RSA modulus accepted for the Authorization key and provider keys.
MIN_RSA_KEY_BITS = 2048
# Base64 of a 16384-bit key's SubjectPublicKeyInfo is about 2.8 KB.
MAX_AUTHENTICATION_INFO_LENGTH = 8192


@dataclass(frozen=True)
class AuthorizationKeys:
    """The Authorization key pair and the public key as ``/publickey`` returns it."""

    private_key: rsa.RSAPrivateKey
    public_key: rsa.RSAPublicKey
    public_key_base64: str


def check_jose_backend() -> None:
    """Check that python-jose uses the ``cryptography`` backend.

    Without it python-jose signs with the pure-Python ``rsa`` package (about 80
    times slower) and cannot encrypt JWEs at all.

    :raises ConfigError: when another backend is active.
    """
    rsa_key_class = getattr(jose.backends, "RSAKey", None)
    if getattr(rsa_key_class, "__name__", None) != "CryptographyRSAKey":
        raise ConfigError(
            "python-jose does not use the cryptography backend; install "
            "python-jose[cryptography]"
        )
    if getattr(jose.backends, "AESKey", None) is None:
        raise ConfigError(
            "python-jose has no AES support, so it cannot encrypt tokens; install "
            "python-jose[cryptography]"
        )


def load_private_key_file(path: str) -> rsa.RSAPrivateKey:
    """Read an unencrypted PEM RSA private key of at least 2048 bits.

    :raises ConfigError: naming the file when it is missing, unreadable, not an
        RSA private key or too short.
    """
    try:
        with open(path, "rb") as key_file:
            data = key_file.read()
        key = serialization.load_pem_private_key(data, password=None)
    except (OSError, ValueError, TypeError) as error:
        raise ConfigError(f"cannot read the private key {path}: {error}") from None

    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"the private key {path} is not an RSA key")
    _check_key_size(key, path)
    return key


def load_public_key_file(path: str) -> rsa.RSAPublicKey:
    """Read a PEM RSA public key (SubjectPublicKeyInfo) of at least 2048 bits.

    :raises ConfigError: naming the file when it is missing, unreadable, not an
        RSA public key or too short.
    """
    try:
        with open(path, "rb") as key_file:
            data = key_file.read()
        key = serialization.load_pem_public_key(data)
    except (OSError, ValueError, TypeError) as error:
        raise ConfigError(f"cannot read the public key {path}: {error}") from None

    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigError(f"the public key {path} is not an RSA key")
    _check_key_size(key, path)
    return key


def _check_key_size(key: rsa.RSAPrivateKey | rsa.RSAPublicKey, path: str) -> None:
    if key.key_size < MIN_RSA_KEY_BITS:
        raise ConfigError(
            f"the key {path} has {key.key_size} bits; use at least {MIN_RSA_KEY_BITS}"
        )


def public_key_to_base64(key: rsa.RSAPublicKey) -> str:
    """Return Base64 (standard, padded) of the key's DER SubjectPublicKeyInfo."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def public_key_from_base64(text: str) -> rsa.RSAPublicKey:
    """Decode an ``authenticationInfo`` value into an RSA public key.

    The value is Base64 of a DER SubjectPublicKeyInfo; surrounding double quotes,
    as in the body of ``GET /authorization/publickey``, are tolerated.

    :raises ValueError: when the text is not such a key, the key is not RSA or
        it has fewer than 2048 bits.
    """
    if not isinstance(text, str):
        raise ValueError("the key is not a string")

    value = text.strip().strip('"').strip()
    if not value:
        raise ValueError("the key is blank")
    if len(value) > MAX_AUTHENTICATION_INFO_LENGTH:
        raise ValueError(
            f"the key is longer than {MAX_AUTHENTICATION_INFO_LENGTH} characters"
        )

    try:
        der = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the key is not valid Base64") from None

    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"the key is not a DER SubjectPublicKeyInfo: {error}"
        ) from None

    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"the key is a {type(key).__name__}, not an RSA key")
    if key.key_size < MIN_RSA_KEY_BITS:
        raise ValueError(
            f"the RSA key has {key.key_size} bits; at least {MIN_RSA_KEY_BITS} "
            "are required"
        )
    return key


def load_authorization_keys(directory: str) -> AuthorizationKeys:
    """Read ``auth-private.pem`` and ``auth-public.pem`` from ``directory``.

    :raises ConfigError: naming the file that is missing or invalid, or both when
        the public key does not belong to the private key.
    """
    private_path = os.path.join(directory, PRIVATE_KEY_FILE)
    public_path = os.path.join(directory, PUBLIC_KEY_FILE)
    private_key = load_private_key_file(private_path)
    public_key = load_public_key_file(public_path)

    if private_key.public_key().public_numbers() != public_key.public_numbers():
        raise ConfigError(
            f"the public key {public_path} does not belong to the private key "
            f"{private_path}"
        )
    return AuthorizationKeys(private_key, public_key, public_key_to_base64(public_key))


@dataclass(frozen=True)
class _DeferredKeyError:
    """A key loading error kept until a command needs the keys."""

    error: ConfigError


def init_app(app: Flask) -> None:
    """Load the Authorization key pair once, in the secure TLS modes.

    In ``ARROWHEAD_TLS_MODE=off`` no key is loaded, and token generation fails
    with 500 as in the reference's insecure mode. Calling this again for the same
    app does nothing, so each blueprint that issues tokens may call it.

    Under a ``flask`` command a key problem is logged instead, and raised when a
    token is issued, so that ``flask db upgrade`` and ``flask certs init`` work
    before the key pair exists.

    :raises ConfigError: when python-jose lacks the cryptography backend, or a key
        file is missing or invalid; the message names the file.
    """
    if EXTENSION_KEY in app.extensions:
        return

    check_jose_backend()
    if app.config["ARROWHEAD_TLS_MODE"] == "off":
        app.extensions[EXTENSION_KEY] = None
        return

    try:
        keys = load_authorization_keys(certs_dir(app.config))
    except ConfigError as error:
        if click.get_current_context(silent=True) is None:
            raise
        logger.warning("%s; commands that issue tokens will fail", error)
        app.extensions[EXTENSION_KEY] = _DeferredKeyError(error)
        return

    app.extensions[EXTENSION_KEY] = keys
    logger.info(
        "Loaded the Authorization key pair (RSA-%d) from %s",
        keys.private_key.key_size,
        certs_dir(app.config),
    )


def authorization_keys() -> AuthorizationKeys | None:
    """Return the current app's Authorization key pair, or None in mode ``off``.

    :raises RuntimeError: when ``init_app`` was not called for this app.
    :raises ConfigError: when a ``flask`` command started without a usable key pair.
    """
    try:
        keys = current_app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "the Authorization keys are not loaded; call "
            "arrowhead_lite.security.keys.init_app(app) at start-up"
        ) from None

    if isinstance(keys, _DeferredKeyError):
        raise keys.error
    return keys
