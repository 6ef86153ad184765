"""The operator commands services add, and --json on rule and store removal."""

import base64
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from arrowhead_lite.extensions import db
from tests import helpers
from tests.orchestrator import factories
from tests.registry.support import row_counts

ENTRY_HEADERS = [
    "ID",
    "DEFINITION",
    "PROVIDER",
    "URI",
    "SECURE",
    "VERSION",
    "INTERFACES",
    "END",
    "OF",
    "VALIDITY",
]


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def secure_runner(secure_app):
    return secure_app.test_cli_runner()


@pytest.fixture
def certificate_file(tmp_path):
    """A PEM certificate whose key is ``helpers.rsa_key("certificates")``."""
    certificate = x509.load_der_x509_certificate(
        helpers.certificate_der(f"sensor-1.{helpers.CLOUD_CN}")
    )
    path = tmp_path / "sensor-1.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(path)


def add(runner, *extra: str):
    return runner.invoke(
        args=["services", "add", "temperature", "sensor-1", "127.0.0.1", "9101", *extra]
    )


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["services", "add", "--help"],
        ["rules", "add", "--help"],
        ["rules", "remove", "--help"],
        ["store", "remove", "--help"],
    ],
)
def test_command_help(runner, command):
    result = runner.invoke(args=command)

    assert result.exit_code == 0
    assert "Usage:" in result.output


@pytest.mark.parametrize(
    "group", ["certs", "systems", "services", "rules", "store", "orchestrate"]
)
def test_operator_groups_present(runner, group):
    result = runner.invoke(args=["--help"])

    assert group in result.output.split()


def test_services_add_table(runner):
    result = add(runner, "--uri", "/temperature", "--metadata", "unit=celsius")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ENTRY_HEADERS
    assert lines[1].split() == [
        "1",
        "temperature",
        "sensor-1",
        "(127.0.0.1:9101)",
        "/temperature",
        "NOT_SECURE",
        "1",
        "HTTP-SECURE-JSON",
        "-",
    ]


def test_services_add_json(runner):
    result = add(
        runner,
        "--uri",
        "/temperature",
        "--interface",
        "HTTP-SECURE-JSON",
        "--interface",
        "http-secure-xml",
        "--version",
        "3",
        "--metadata",
        "unit=celsius",
        "--json",
    )

    data = json.loads(result.output)
    assert data["provider"]["systemName"] == "sensor-1"
    assert data["serviceUri"] == "/temperature"
    assert data["version"] == 3
    assert data["metadata"] == {"unit": "celsius"}
    assert [item["interfaceName"] for item in data["interfaces"]] == [
        "HTTP-SECURE-JSON",
        "HTTP-SECURE-XML",
    ]


def test_services_add_token_with_certificate(secure_runner, certificate_file):
    result = add(
        secure_runner, "--secure", "token", "--public-key", certificate_file, "--json"
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["secure"] == "TOKEN"
    assert data["provider"]["authenticationInfo"] == helpers.public_key_base64(
        "certificates"
    )


def test_services_add_public_key_file(secure_runner, tmp_path):
    path = tmp_path / "key.pem"
    path.write_bytes(
        helpers.rsa_key("sensor")
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )

    result = add(secure_runner, "--public-key", str(path), "--json")

    info = json.loads(result.output)["provider"]["authenticationInfo"]
    assert info == helpers.public_key_base64("sensor")


def test_services_add_keeps_provider_key(secure_app, secure_runner):
    with secure_app.app_context():
        factories.system("sensor-1", 9101, key="sensor")
        db.session.commit()

    result = add(secure_runner, "--secure", "TOKEN", "--json")

    assert result.exit_code == 0, result.output
    info = json.loads(result.output)["provider"]["authenticationInfo"]
    assert info == helpers.public_key_base64("sensor")


def test_services_add_token_without_key_fails(secure_app, secure_runner):
    result = add(secure_runner, "--secure", "TOKEN")

    assert result.exit_code == 1
    assert "authentication info" in result.output
    assert row_counts(secure_app)["service_registry"] == 0


def test_services_add_both_keys_fails(runner, certificate_file):
    info = base64.b64encode(b"key").decode()

    result = add(
        runner, "--public-key", certificate_file, "--authentication-info", info
    )

    assert result.exit_code == 2
    assert "not both" in result.output


def test_services_add_unreadable_key_fails(runner, tmp_path):
    path = tmp_path / "empty.pem"
    path.write_text("not a key\n")

    result = add(runner, "--public-key", str(path))

    assert result.exit_code == 2
    assert "not a PEM certificate or public key" in result.output


def test_services_add_invalid_interface_fails(app, runner):
    result = add(runner, "--interface", "json")

    assert result.exit_code == 1
    assert row_counts(app)["service_registry"] == 0
    assert row_counts(app)["system_"] == 0


def test_services_add_duplicate_fails(app, runner):
    add(runner)

    result = add(runner)

    assert result.exit_code == 1
    assert "already exists" in result.output
    assert row_counts(app)["service_registry"] == 1


def test_services_add_reserved_name_fails(app, runner):
    result = runner.invoke(
        args=["services", "add", "temperature", "orchestrator", "127.0.0.1", "1"]
    )

    assert result.exit_code == 1
    assert row_counts(app)["system_"] == 0


@pytest.fixture
def rule_world(app):
    """A consumer and a provider of temperature-reading with one entry."""
    with app.app_context():
        factories.system("consumer", 9000)
        factories.entry(factories.system("provider", 8080))
        db.session.commit()


def test_rules_add_json(rule_world, runner):
    result = runner.invoke(
        args=[
            "rules",
            "add",
            "--consumer",
            "consumer",
            "--provider",
            "provider",
            "--service",
            factories.DEFINITION,
            "--interface",
            factories.SECURE_JSON,
            "--json",
        ]
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["count"] == 1
    assert data["data"][0]["consumerSystem"]["systemName"] == "consumer"


def test_rules_remove_json(rule_world, runner):
    runner.invoke(
        args=[
            "rules",
            "add",
            "--consumer",
            "consumer",
            "--provider",
            "provider",
            "--service",
            factories.DEFINITION,
            "--interface",
            factories.SECURE_JSON,
        ]
    )

    result = runner.invoke(args=["rules", "remove", "1", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"removed": 1}


def test_store_remove_json(rule_world, runner):
    runner.invoke(
        args=[
            "store",
            "add",
            "--consumer",
            "consumer",
            "--provider",
            "provider",
            "--service",
            factories.DEFINITION,
        ]
    )

    result = runner.invoke(args=["store", "remove", "1", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"removed": 1}
