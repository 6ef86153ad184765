"""Fixtures: a development PKI written by the ``certs`` CLI, once per session."""

import datetime

import pytest
from cryptography import x509

from arrowhead_lite import create_app
from arrowhead_lite.security import pki
from tests import helpers


def run_certs(directory, *args: str):
    """Run a ``certs`` command through the Flask CLI for the test cloud."""
    app = create_app(
        {
            "ARROWHEAD_DATABASE_URL": "sqlite://",
            "ARROWHEAD_TLS_MODE": "off",
            "ARROWHEAD_CLOUD_NAME": helpers.CLOUD_NAME,
            "ARROWHEAD_CLOUD_OPERATOR": helpers.CLOUD_OPERATOR,
        }
    )
    command, *rest = args
    return app.test_cli_runner().invoke(
        args=["certs", command, *rest, "--dir", str(directory)]
    )


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory):
    """A PKI of the test cloud with certificates for consumer and provider."""
    directory = tmp_path_factory.mktemp("pki")
    for args in (("init",), ("issue", "consumer"), ("issue", "provider")):
        result = run_certs(directory, *args)
        assert result.exit_code == 0, result.output
    return directory


@pytest.fixture(scope="session")
def foreign_pki_dir(tmp_path_factory):
    """A PKI with the same cloud name but another CA."""
    directory = tmp_path_factory.mktemp("foreign-pki")
    result = run_certs(directory, "init")
    assert result.exit_code == 0, result.output
    return directory


@pytest.fixture(scope="session")
def expired_certificate(pki_dir):
    """Paths of a consumer certificate of the test cloud that expired yesterday."""
    authority = pki.load_authority(str(pki_dir))
    now = datetime.datetime.now(datetime.UTC)
    certificate, key = pki.issue_certificate(
        authority,
        f"expired.{helpers.CLOUD_CN}",
        not_before=now - datetime.timedelta(days=30),
        not_after=now - datetime.timedelta(days=1),
    )
    pem = pki_dir / "expired.pem"
    key_path = pki_dir / "expired.key"
    pem.write_bytes(pki.certificate_pem(certificate, authority.certificate))
    key_path.write_bytes(pki.private_key_pem(key))
    key_path.chmod(0o600)
    return str(pem), str(key_path)


def load_certificate(path) -> x509.Certificate:
    """Return the first certificate of a PEM file."""
    with open(path, "rb") as pem:
        return x509.load_pem_x509_certificates(pem.read())[0]
