"""Loading the Authorization key pair at start-up and decoding provider keys."""

import base64
import os

import click
import jose.backends
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask.cli import FlaskGroup
from flask.testing import CliRunner

from arrowhead_lite import create_app
from arrowhead_lite.config import ConfigError
from arrowhead_lite.security import keys
from tests import helpers


def secure_config(database, certs):
    return {
        "ARROWHEAD_DATABASE_URL": database,
        "ARROWHEAD_TLS_MODE": "direct",
        "ARROWHEAD_CERTS_DIR": str(certs),
    }


@pytest.fixture
def certs(tmp_path):
    directory = tmp_path / "auth-certs"
    helpers.write_authorization_keys(directory)
    return directory


def test_secure_app_loads_keys(secure_app):
    loaded = secure_app.extensions[keys.EXTENSION_KEY]

    assert loaded.public_key.public_numbers() == (
        helpers.authorization_public_key().public_numbers()
    )


def test_insecure_app_loads_no_keys(app):
    assert app.extensions[keys.EXTENSION_KEY] is None


@pytest.mark.parametrize("mode", ["direct", "proxy"])
@pytest.mark.parametrize("name", ["auth-private.pem", "auth-public.pem"])
def test_missing_key_stops_start_up(database, certs, mode, name):
    os.remove(certs / name)
    authority = x509.load_der_x509_certificate(
        helpers.certificate_der(helpers.CLOUD_CN)
    )
    (certs / "truststore.pem").write_bytes(
        authority.public_bytes(serialization.Encoding.PEM)
    )
    config = secure_config(database, certs) | {"ARROWHEAD_TLS_MODE": mode}

    with pytest.raises(ConfigError, match=name):
        create_app(config)


def test_unreadable_key_stops_start_up(database, certs):
    (certs / "auth-private.pem").write_text("not a key")

    with pytest.raises(ConfigError, match="auth-private.pem"):
        create_app(secure_config(database, certs))


def test_mismatched_keys_stop_start_up(database, certs):
    other = helpers.rsa_key("other").public_key()
    (certs / "auth-public.pem").write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )

    with pytest.raises(ConfigError, match="does not belong"):
        create_app(secure_config(database, certs))


def test_ec_key_stops_start_up(database, certs):
    key = ec.generate_private_key(ec.SECP256R1())
    (certs / "auth-private.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    with pytest.raises(ConfigError, match="not an RSA key"):
        create_app(secure_config(database, certs))


def test_missing_keys_allowed_when_off(database, tmp_path):
    app = create_app(
        {
            "ARROWHEAD_DATABASE_URL": database,
            "ARROWHEAD_TLS_MODE": "off",
            "ARROWHEAD_CERTS_DIR": str(tmp_path / "empty"),
        }
    )

    assert app.extensions[keys.EXTENSION_KEY] is None


def test_jose_backend_is_cryptography():
    keys.check_jose_backend()

    assert jose.backends.RSAKey.__name__ == "CryptographyRSAKey"


def test_jose_native_backend_stops_start_up(monkeypatch, database, certs):
    from jose.backends.rsa_backend import RSAKey as NativeRSAKey

    monkeypatch.setattr(jose.backends, "RSAKey", NativeRSAKey)

    with pytest.raises(ConfigError, match="cryptography backend"):
        create_app(secure_config(database, certs))


def test_jose_without_aes_stops_start_up(monkeypatch):
    monkeypatch.setattr(jose.backends, "AESKey", None)

    with pytest.raises(ConfigError, match="AES"):
        keys.check_jose_backend()


def test_public_key_from_base64_quoted():
    text = f'"{helpers.public_key_base64("provider")}"'

    key = keys.public_key_from_base64(text)

    assert (
        key.public_numbers()
        == helpers.rsa_key("provider").public_key().public_numbers()
    )


def test_public_key_round_trip():
    key = helpers.rsa_key("provider").public_key()

    text = keys.public_key_to_base64(key)

    assert text == helpers.public_key_base64("provider")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "%%%",
        base64.b64encode(b"x" * 10).decode(),
        "A" * 9000,
    ],
    ids=["blank", "not-base64", "not-der", "too-long"],
)
def test_public_key_from_base64_invalid(text):
    with pytest.raises(ValueError):
        keys.public_key_from_base64(text)


def test_flask_command_starts_without_keys(database, tmp_path, monkeypatch):
    # FlaskGroup sets FLASK_RUN_FROM_CLI=true in os.environ; restore it afterwards.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")
    settings = {
        "ARROWHEAD_DATABASE_URL": database,
        "ARROWHEAD_TLS_MODE": "direct",
        "ARROWHEAD_CERTS_DIR": str(tmp_path / "empty"),
    }
    apps = []

    def factory():
        apps.append(create_app(settings))
        return apps[-1]

    result = CliRunner().invoke(FlaskGroup(create_app=factory), ["db", "current"])

    assert result.exit_code == 0, result.output
    with apps[0].app_context():
        with pytest.raises(ConfigError, match="auth-private.pem"):
            keys.authorization_keys()
    assert click.get_current_context(silent=True) is None


def test_server_start_without_keys_fails(database, tmp_path):
    settings = {
        "ARROWHEAD_DATABASE_URL": database,
        "ARROWHEAD_TLS_MODE": "direct",
        "ARROWHEAD_CERTS_DIR": str(tmp_path / "empty"),
    }

    with pytest.raises(ConfigError, match="auth-private.pem"):
        create_app(settings)
