"""The development PKI written by ``certs init`` and ``certs issue``."""

import glob
import os
import shutil
import ssl
import subprocess
import textwrap

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

from arrowhead_lite.security import pki
from tests import helpers

from .conftest import load_certificate
from .conftest import run_certs


def common_name(certificate: x509.Certificate) -> str:
    return certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def test_init_writes_every_file(pki_dir):
    for name in pki.INIT_FILES:
        assert (pki_dir / name).is_file(), name


def test_init_private_files_mode_0600(pki_dir):
    for name in ("ca.key", "server.key", "sysop.key", "sysop.p12", "auth-private.pem"):
        assert os.stat(pki_dir / name).st_mode & 0o777 == 0o600, name


def test_issue_writes_system_files(pki_dir):
    for suffix in ("pem", "key", "p12"):
        assert (pki_dir / f"consumer.{suffix}").is_file()
    assert os.stat(pki_dir / "consumer.key").st_mode & 0o777 == 0o600


def test_common_names(pki_dir):
    assert common_name(load_certificate(pki_dir / "truststore.pem")) == helpers.CLOUD_CN
    assert (
        common_name(load_certificate(pki_dir / "server.pem"))
        == f"serviceregistry.{helpers.CLOUD_CN}"
    )
    assert (
        common_name(load_certificate(pki_dir / "sysop.pem"))
        == f"sysop.{helpers.CLOUD_CN}"
    )
    assert (
        common_name(load_certificate(pki_dir / "consumer.pem"))
        == f"consumer.{helpers.CLOUD_CN}"
    )


def test_ca_extensions(pki_dir):
    certificate = load_certificate(pki_dir / "truststore.pem")
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    assert certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)


@pytest.mark.parametrize("name", ["server", "sysop", "consumer"])
def test_leaf_extensions(pki_dir, name):
    authority = load_certificate(pki_dir / "truststore.pem")
    certificate = load_certificate(pki_dir / f"{name}.pem")
    extensions = certificate.extensions
    constraints = extensions.get_extension_for_class(x509.BasicConstraints)
    authority_key_id = extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    authority_subject_key_id = authority.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier
    )
    assert constraints.critical
    assert not constraints.value.ca
    assert extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert (
        authority_key_id.value.key_identifier
        == authority_subject_key_id.value.key_identifier
    )
    assert certificate.public_key().key_size == 2048
    assert certificate.signature_hash_algorithm.name == "sha256"
    certificate.verify_directly_issued_by(authority)


def test_extended_key_usages(pki_dir):
    def usages(name):
        certificate = load_certificate(pki_dir / f"{name}.pem")
        return set(
            certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        )

    assert usages("server") == {
        ExtendedKeyUsageOID.CLIENT_AUTH,
        ExtendedKeyUsageOID.SERVER_AUTH,
    }
    assert usages("sysop") == {ExtendedKeyUsageOID.CLIENT_AUTH}
    assert ExtendedKeyUsageOID.SERVER_AUTH in usages("consumer")


def test_server_alternative_names(pki_dir):
    certificate = load_certificate(pki_dir / "server.pem")
    names = certificate.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    ).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == [
        "127.0.0.1"
    ]


def test_init_extra_san(tmp_path):
    result = run_certs(tmp_path, "init", "--san", "ah.example", "--san", "10.1.2.3")
    certificate = load_certificate(tmp_path / "server.pem")
    names = certificate.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    ).value
    assert result.exit_code == 0, result.output
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "ah.example"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == [
        "127.0.0.1",
        "10.1.2.3",
    ]


def test_system_pem_has_leaf_then_ca(pki_dir):
    with open(pki_dir / "consumer.pem", "rb") as pem:
        chain = x509.load_pem_x509_certificates(pem.read())
    assert common_name(chain[0]) == f"consumer.{helpers.CLOUD_CN}"
    assert chain[1] == load_certificate(pki_dir / "truststore.pem")


def test_auth_key_pair_matches(tmp_path):
    from cryptography.hazmat.primitives import serialization

    # A fresh folder: secure apps in other tests write their own key pair
    # into the shared session PKI.
    result = run_certs(tmp_path, "init")
    private_key = serialization.load_pem_private_key(
        (tmp_path / "auth-private.pem").read_bytes(), password=None
    )
    public_key = serialization.load_pem_public_key(
        (tmp_path / "auth-public.pem").read_bytes()
    )
    assert result.exit_code == 0, result.output
    assert private_key.key_size == 2048
    assert private_key.public_key().public_numbers() == public_key.public_numbers()


def test_p12_without_password(pki_dir):
    key, certificate, extra = pkcs12.load_key_and_certificates(
        (pki_dir / "sysop.p12").read_bytes(), None
    )
    assert common_name(certificate) == f"sysop.{helpers.CLOUD_CN}"
    assert key.public_key().public_numbers() == (
        certificate.public_key().public_numbers()
    )
    assert len(extra) == 1


def test_p12_with_password(tmp_path):
    result = run_certs(tmp_path, "init", "--password", "s3cret")
    data = (tmp_path / "sysop.p12").read_bytes()
    assert result.exit_code == 0, result.output
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, None)
    key, certificate, _ = pkcs12.load_key_and_certificates(data, b"s3cret")
    assert common_name(certificate) == f"sysop.{helpers.CLOUD_CN}"


def test_issue_with_password(pki_dir):
    result = run_certs(pki_dir, "issue", "locked", "--password", "pw")
    _, certificate, _ = pkcs12.load_key_and_certificates(
        (pki_dir / "locked.p12").read_bytes(), b"pw"
    )
    assert result.exit_code == 0, result.output
    assert common_name(certificate) == f"locked.{helpers.CLOUD_CN}"


def test_init_refuses_existing_directory(pki_dir):
    before = (pki_dir / "truststore.pem").read_bytes()
    result = run_certs(pki_dir, "init")
    assert result.exit_code != 0
    assert "--force" in result.output
    assert (pki_dir / "truststore.pem").read_bytes() == before


def test_init_force_replaces(tmp_path):
    first = run_certs(tmp_path, "init")
    before = (tmp_path / "truststore.pem").read_bytes()
    second = run_certs(tmp_path, "init", "--force")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert (tmp_path / "truststore.pem").read_bytes() != before


def test_init_ignores_unrelated_files(tmp_path):
    (tmp_path / "README.rst").write_text("notes")
    result = run_certs(tmp_path, "init")
    assert result.exit_code == 0, result.output


def test_issue_refuses_existing_system(pki_dir):
    result = run_certs(pki_dir, "issue", "consumer")
    assert result.exit_code != 0
    assert "--force" in result.output


def test_issue_rejects_invalid_name(pki_dir):
    for name in ("bad_name", "1abc", "dash-", "a.b"):
        result = run_certs(pki_dir, "issue", name)
        assert result.exit_code != 0, name
        assert "Invalid system name" in result.output, name


def test_issue_rejects_server_name(pki_dir):
    result = run_certs(pki_dir, "issue", "server")
    assert result.exit_code != 0
    assert "server.pem" in result.output


def test_issue_without_ca(tmp_path):
    result = run_certs(tmp_path, "issue", "consumer")
    assert result.exit_code != 0
    assert "certs init" in result.output


def test_issue_lower_cases_name(pki_dir):
    result = run_certs(pki_dir, "issue", "MixedCase")
    assert result.exit_code == 0, result.output
    assert (
        common_name(load_certificate(pki_dir / "mixedcase.pem"))
        == f"mixedcase.{helpers.CLOUD_CN}"
    )


def test_cli_uses_configured_cloud(make_app, tmp_path):
    app = make_app(ARROWHEAD_CLOUD_NAME="plant", ARROWHEAD_CLOUD_OPERATOR="acme")
    result = app.test_cli_runner().invoke(
        args=["certs", "init", "--dir", str(tmp_path / "pki")]
    )
    assert result.exit_code == 0, result.output
    assert (
        common_name(load_certificate(tmp_path / "pki" / "sysop.pem"))
        == "sysop.plant.acme.arrowhead.eu"
    )


def test_handshake_with_default_context(pki_dir):
    """The stdlib verifier accepts the chain in both directions."""
    server = ssl.create_default_context(
        ssl.Purpose.CLIENT_AUTH, cafile=str(pki_dir / "truststore.pem")
    )
    server.load_cert_chain(pki_dir / "server.pem", pki_dir / "server.key")
    server.verify_mode = ssl.CERT_REQUIRED
    client = ssl.create_default_context(cafile=str(pki_dir / "truststore.pem"))
    client.load_cert_chain(pki_dir / "sysop.pem", pki_dir / "sysop.key")
    assert _memory_handshake(server, client) == f"sysop.{helpers.CLOUD_CN}"


def _memory_handshake(server_context, client_context) -> str:
    server_in, server_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_in, client_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = server_context.wrap_bio(server_in, server_out, server_side=True)
    client = client_context.wrap_bio(client_in, client_out, server_hostname="127.0.0.1")
    done = {"server": False, "client": False}
    for _ in range(10):
        for name, side in (("client", client), ("server", server)):
            if done[name]:
                continue
            try:
                side.do_handshake()
                done[name] = True
            except ssl.SSLWantReadError:
                pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
        if all(done.values()):
            break
    subject = dict(item[0] for item in server.getpeercert()["subject"])
    return subject["commonName"]


STRICT_CHECK = textwrap.dedent(
    """
    import socket, ssl, sys, threading
    directory = sys.argv[1]
    server = ssl.create_default_context(
        ssl.Purpose.CLIENT_AUTH, cafile=directory + "/truststore.pem")
    server.load_cert_chain(directory + "/server.pem", directory + "/server.key")
    server.verify_mode = ssl.CERT_REQUIRED
    assert server.verify_flags & ssl.VERIFY_X509_STRICT
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    peer = {}

    def serve():
        connection, _ = listener.accept()
        with server.wrap_socket(connection, server_side=True) as tls:
            peer.update(dict(item[0] for item in tls.getpeercert()["subject"]))
            tls.sendall(b"ok")

    thread = threading.Thread(target=serve)
    thread.start()
    client = ssl.create_default_context(cafile=directory + "/truststore.pem")
    assert client.verify_flags & ssl.VERIFY_X509_STRICT
    client.load_cert_chain(directory + "/consumer.pem", directory + "/consumer.key")
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with client.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.recv(2) == b"ok"
    thread.join()
    print(peer["commonName"])
    """
)


def _python_313() -> str | None:
    candidates = [shutil.which(name) for name in ("python3.13", "python3.14")]
    # A pyenv shim only runs a version selected for the folder, so also try
    # the interpreters of installed pyenv versions directly.
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/3.1[3-9]*/bin/python3"))
    for path in candidates:
        if path is None:
            continue
        probe = subprocess.run(
            [path, "-c", "import ssl, sys; print(sys.version_info >= (3, 13))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.stdout.strip() == "True":
            return path
    return None


def test_strict_verifier_of_python_313(pki_dir):
    """Python 3.13 verifies with VERIFY_X509_STRICT on both sides of a handshake."""
    python = _python_313()
    if python is None:
        pytest.skip("no python3.13 or newer on PATH")

    result = subprocess.run(
        [python, "-c", STRICT_CHECK, str(pki_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"consumer.{helpers.CLOUD_CN}"


def test_init_before_app_can_start(monkeypatch, tmp_path):
    """In direct mode the app needs the key files that init writes."""
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from arrowhead_lite.security.cli import certs

    monkeypatch.setenv("ARROWHEAD_TLS_MODE", "direct")
    monkeypatch.setenv("ARROWHEAD_CERTS_DIR", str(tmp_path))
    monkeypatch.setenv("ARROWHEAD_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("ARROWHEAD_CLOUD_NAME", "plant")
    result = CliRunner().invoke(
        certs,
        ["init", "--dir", str(tmp_path)],
        obj=ScriptInfo(app_import_path="arrowhead_lite"),
    )
    assert result.exit_code == 0, result.output
    assert (
        common_name(load_certificate(tmp_path / "sysop.pem"))
        == "sysop.plant.operator.arrowhead.eu"
    )
