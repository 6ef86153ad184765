"""flask systems ... and flask services ... commands."""

import json

import pytest

from tests.registry.support import register
from tests.registry.support import row_counts


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.mark.parametrize(
    "command",
    [
        ["systems", "--help"],
        ["systems", "list", "--help"],
        ["systems", "add", "--help"],
        ["systems", "remove", "--help"],
        ["services", "--help"],
        ["services", "list", "--help"],
        ["services", "remove", "--help"],
        ["services", "purge-expired", "--help"],
    ],
)
def test_cli_help(runner, command):
    result = runner.invoke(args=command)
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_systems_add_and_list(app, runner):
    result = runner.invoke(
        args=["systems", "add", "Sensor", "127.0.0.1", "8080", "--metadata", "a=1"]
    )
    assert result.exit_code == 0, result.output
    assert "Added system 1 sensor" in result.output

    table = runner.invoke(args=["systems", "list"])
    lines = table.output.splitlines()
    assert lines[0].split() == ["ID", "NAME", "ADDRESS", "PORT", "AUTH", "INFO"]
    assert lines[1].split() == ["1", "sensor", "127.0.0.1", "8080", "no"]


def test_systems_list_json(runner):
    runner.invoke(args=["systems", "add", "sensor", "127.0.0.1", "8080"])
    result = runner.invoke(args=["systems", "list", "--json"])
    data = json.loads(result.output)
    assert [item["systemName"] for item in data] == ["sensor"]


def test_systems_add_invalid_fails(app, runner):
    result = runner.invoke(args=["systems", "add", "bad_name", "127.0.0.1", "1"])
    assert result.exit_code == 1
    assert "invalid" in result.output
    assert row_counts(app)["system_"] == 0


def test_systems_add_duplicate_fails(runner):
    runner.invoke(args=["systems", "add", "sensor", "127.0.0.1", "1"])
    result = runner.invoke(args=["systems", "add", "sensor", "127.0.0.1", "1"])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_systems_add_bad_metadata_fails(runner):
    result = runner.invoke(
        args=["systems", "add", "sensor", "127.0.0.1", "1", "--metadata", "novalue"]
    )
    assert result.exit_code == 2


def test_systems_remove(app, client, runner):
    register(client)
    result = runner.invoke(args=["systems", "remove", "1", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == {"removed": 1}
    assert row_counts(app)["service_registry"] == 0


def test_systems_remove_unknown_fails(runner):
    result = runner.invoke(args=["systems", "remove", "4"])
    assert result.exit_code == 1


def test_services_list_table(client, runner):
    register(client, interfaces=["HTTP-INSECURE-JSON", "COAP-INSECURE-CBOR"])
    result = runner.invoke(args=["services", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("ID  DEFINITION")
    assert "sensor (127.0.0.1:8080)" in lines[1]
    assert "HTTP-INSECURE-JSON,COAP-INSECURE-CBOR" in lines[1]


def test_services_list_by_definition_json(client, runner):
    register(client)
    register(client, "humidity")
    result = runner.invoke(
        args=["services", "list", "--definition", "humidity", "--json"]
    )
    data = json.loads(result.output)
    assert [item["id"] for item in data] == [2]


def test_services_list_unknown_definition_fails(runner):
    result = runner.invoke(args=["services", "list", "--definition", "nothing"])
    assert result.exit_code == 1


def test_services_remove(app, client, runner):
    register(client)
    result = runner.invoke(args=["services", "remove", "1"])
    assert result.exit_code == 0
    assert "Removed entry 1" in result.output
    assert row_counts(app)["service_registry"] == 0


def test_purge_expired_is_idempotent(app, client, runner):
    register(client, port=1, endOfValidity="2000-01-01T00:00:00Z")
    register(client, port=2, endOfValidity="2999-01-01T00:00:00Z")
    register(client, port=3)

    first = runner.invoke(args=["services", "purge-expired", "--json"])
    second = runner.invoke(args=["services", "purge-expired"])

    assert json.loads(first.output) == {"removed": 1}
    assert second.output.strip() == "Removed 0 expired entries."
    ids = [item["id"] for item in client.get("/serviceregistry/mgmt").json["data"]]
    assert ids == [2, 3]
