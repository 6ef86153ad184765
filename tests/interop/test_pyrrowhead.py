"""pyrrowhead 0.5.0b0 (PyPI), a management CLI, against a mutual-TLS server.

It uses the reference mgmt paths with trailing slashes, /serviceregistry/mgmt/{id},
the grouped entries and the orchestrator store, with the sysop certificate.
"""

import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.interop

PROVIDER_PORT = 7655


@pytest.fixture
def pyrrowhead(pyrrowhead_python, pki, start_server, tmp_path):
    """Return a runner of pyrrowhead commands configured for a fresh server."""
    server = start_server(tls_mode="direct", certs=pki)
    home = tmp_path / "home"
    cloud = tmp_path / "cloud"
    crypto = cloud / "certs" / "crypto"
    crypto.mkdir(parents=True)
    shutil.copy(pki / "sysop.pem", crypto / "sysop.crt")
    shutil.copy(pki / "sysop.key", crypto / "sysop.key")
    shutil.copy(pki / "truststore.pem", crypto / "sysop.ca")

    core = f"{{address: 127.0.0.1, port: {server.port}}}"
    (cloud / "cloud_config.yaml").write_text(
        "cloud:\n"
        "  ssl_enabled: true\n"
        "  core_systems:\n"
        f"    service_registry: {core}\n"
        f"    orchestrator: {core}\n"
        f"    authorization: {core}\n"
    )
    (home / ".pyrrowhead" / "local-clouds").mkdir(parents=True)
    (home / ".pyrrowhead" / "config.cfg").write_text(
        "[pyrrowhead]\nactive-cloud = testcloud.aitia\n\n"
        f"[local-clouds]\ntestcloud.aitia = {cloud}\n"
    )

    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ARROWHEAD_", "PYTHON"))
    }
    environment.update({"HOME": str(home), "COLUMNS": "200"})
    script = pyrrowhead_python.parent / "pyrrowhead"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(script), *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    run.server = server
    return run


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _systems(server) -> dict[str, dict]:
    data = server.caller("sysop").get("/serviceregistry/mgmt/systems").json()["data"]
    return {system["systemName"]: system for system in data}


def _entry(server, definition: str) -> dict:
    data = server.caller("sysop").get("/serviceregistry/mgmt").json()["data"]
    return next(
        entry
        for entry in data
        if entry["serviceDefinition"]["serviceDefinition"] == definition
    )


def _add_service(pyrrowhead) -> dict:
    _ok(
        pyrrowhead(
            "services",
            "add",
            "hello-arrowhead",
            "hello",
            "HTTP-INSECURE-JSON",
            "--access-policy",
            "NOT_SECURE",
            "--system",
            "quickstart-provider",
            "127.0.0.1",
            str(PROVIDER_PORT),
        )
    )
    return _entry(pyrrowhead.server, "hello-arrowhead")


def test_systems_commands(pyrrowhead):
    _ok(pyrrowhead("systems", "add", "quickstart-consumer", "127.0.0.1", "7656"))
    assert "quickstart-consumer" in _ok(pyrrowhead("systems", "list"))
    system_id = _systems(pyrrowhead.server)["quickstart-consumer"]["id"]

    # pyrrowhead parses the DELETE reply as JSON, and the 4.x contract sends an
    # empty body, so the command ends with a decoding error after the deletion.
    pyrrowhead("systems", "remove", str(system_id))

    assert "quickstart-consumer" not in _systems(pyrrowhead.server)


def test_service_and_rule_commands(pyrrowhead):
    sysop = pyrrowhead.server.caller("sysop")
    entry = _add_service(pyrrowhead)
    assert entry["secure"] == "NOT_SECURE"
    assert entry["serviceUri"] == "hello"
    assert "hello-arrowhead" in _ok(pyrrowhead("services", "list", "--show-provider"))
    inspected = _ok(pyrrowhead("services", "inspect", str(entry["id"])))
    assert "hello-arrowhead" in inspected

    _ok(pyrrowhead("systems", "add", "quickstart-consumer", "127.0.0.1", "7656"))
    consumer_id = _systems(pyrrowhead.server)["quickstart-consumer"]["id"]
    _ok(
        pyrrowhead(
            "authorization",
            "add",
            *("--consumer-id", str(consumer_id)),
            *("--provider-id", str(entry["provider"]["id"])),
            *("--interface-id", str(entry["interfaces"][0]["id"])),
            *("--service-definition-id", str(entry["serviceDefinition"]["id"])),
        )
    )
    assert sysop.get("/authorization/mgmt/intracloud").json()["count"] == 1
    assert "hello-arrowhead" in _ok(pyrrowhead("authorization", "list"))

    output = _ok(
        pyrrowhead(
            "orchestration",
            "add",
            "hello-arrowhead",
            "HTTP-INSECURE-JSON",
            *("--provider", "quickstart-provider", "127.0.0.1", str(PROVIDER_PORT)),
            *("--consumer-id", str(consumer_id)),
        )
    )
    assert "errorMessage" not in output
    assert sysop.get("/orchestrator/mgmt/store").json()["count"] == 1
    assert "hello-arrowhead" in _ok(pyrrowhead("orchestration", "list"))
