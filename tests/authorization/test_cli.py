"""flask rules add|list|remove and flask tokens verify."""

import json

import pytest
from cryptography.hazmat.primitives import serialization

from arrowhead_lite.extensions import db
from tests import helpers
from tests.authorization import factories
from tests.authorization import forge


@pytest.fixture
def registry_rows(app):
    with app.app_context():
        factories.system("consumer")
        factories.system("provider", 9000)
        factories.definition("temperature")
        factories.definition("humidity")
        factories.interface("HTTP-SECURE-JSON")
        factories.interface("COAP-SECURE-CBOR")
        db.session.commit()


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def add_rule(app, *extra):
    return run(
        app,
        "rules",
        "add",
        "--consumer",
        "consumer",
        "--provider",
        "provider",
        "--service",
        "temperature",
        "--interface",
        "HTTP-SECURE-JSON",
        *extra,
    )


def test_rules_add(app, registry_rows):
    result = add_rule(app)

    assert result.exit_code == 0
    assert "Created rule 1: consumer -> provider temperature" in result.output


def test_rules_add_several_interfaces(app, registry_rows):
    add_rule(app, "--interface", "coap-secure-cbor")

    result = run(app, "rules", "list", "--json")

    interfaces = json.loads(result.output)["data"][0]["interfaces"]
    assert len(interfaces) == 2


def test_rules_add_existing(app, registry_rows):
    add_rule(app)

    result = add_rule(app)

    assert result.exit_code == 0
    assert "already existed" in result.output


def test_rules_add_unknown_service(app, registry_rows):
    result = run(
        app,
        "rules",
        "add",
        "--consumer",
        "consumer",
        "--provider",
        "provider",
        "--service",
        "pressure",
        "--interface",
        "HTTP-SECURE-JSON",
    )

    assert result.exit_code != 0
    assert "pressure" in result.output


def test_rules_add_ambiguous_name(app, registry_rows):
    with app.app_context():
        factories.system("provider", 9001)
        db.session.commit()

    ambiguous = add_rule(app)
    exact = run(
        app,
        "rules",
        "add",
        "--consumer",
        "consumer",
        "--provider",
        "provider@127.0.0.1:9001",
        "--service",
        "temperature",
        "--interface",
        "HTTP-SECURE-JSON",
    )

    assert ambiguous.exit_code != 0
    assert "provider@127.0.0.1:9001" in ambiguous.output
    assert exact.exit_code == 0


def test_rules_list_table(app, registry_rows):
    add_rule(app)

    result = run(app, "rules", "list")

    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "CONSUMER", "PROVIDER", "SERVICE", "INTERFACES"]
    assert lines[1].split() == [
        "1",
        "consumer",
        "provider@127.0.0.1:9000",
        "temperature",
        "HTTP-SECURE-JSON",
    ]


def test_rules_list_json(app, registry_rows):
    add_rule(app)

    result = run(app, "rules", "list", "--json")

    body = json.loads(result.output)
    assert body["count"] == 1
    assert body["data"][0]["serviceDefinition"]["serviceDefinition"] == "temperature"


def test_rules_remove(app, registry_rows):
    add_rule(app)

    removed = run(app, "rules", "remove", "1")
    listed = run(app, "rules", "list", "--json")

    assert removed.exit_code == 0
    assert json.loads(listed.output)["count"] == 0


def test_rules_remove_unknown(app):
    result = run(app, "rules", "remove", "5")

    assert result.exit_code != 0
    assert "not exists" in result.output


@pytest.fixture
def provider_key_file(tmp_path):
    path = tmp_path / "provider.key"
    path.write_bytes(
        helpers.rsa_key("provider").private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(path)


def verify_args(token, provider_key_file, *extra):
    return [
        "tokens",
        "verify",
        token,
        "--provider-key",
        provider_key_file,
        "--consumer",
        forge.CONSUMER,
        "--service",
        forge.SERVICE,
        "--interface",
        forge.INTERFACE,
        *extra,
    ]


def test_tokens_verify(secure_app, provider_key_file):
    result = run(secure_app, *verify_args(forge.valid_token(), provider_key_file))

    assert result.exit_code == 0
    assert json.loads(result.output)["iss"] == "Authorization"


def test_tokens_verify_rejected(secure_app, provider_key_file):
    token = forge.valid_token(iss="Gatekeeper")

    result = run(secure_app, *verify_args(token, provider_key_file))

    assert result.exit_code != 0
    assert "WrongIssuer" in result.output


def test_tokens_verify_insecure_needs_key(app, provider_key_file):
    result = run(app, *verify_args(forge.valid_token(), provider_key_file))

    assert result.exit_code != 0
    assert "--authorization-key" in result.output


def test_tokens_verify_key_option(app, provider_key_file, tmp_path):
    path = tmp_path / "auth-public.pem"
    path.write_bytes(forge.authorization_public_pem())

    result = run(
        app,
        *verify_args(
            forge.valid_token(), provider_key_file, "--authorization-key", str(path)
        ),
    )

    assert result.exit_code == 0
