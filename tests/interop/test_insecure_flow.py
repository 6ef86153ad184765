"""The official client over plain HTTP with a NOT_SECURE service (sync and async).

The provider registers and serves. The operator adds the consumer and a rule
through the mgmt API, and the consumer orchestrates and consumes. Without the
rule the consumer gets no provider. On SIGINT the provider unregisters.
"""

import json
import signal

import pytest

from tests.interop.conftest import free_port
from tests.interop.conftest import port_is_open
from tests.interop.conftest import run_driver
from tests.interop.conftest import stop_process
from tests.interop.conftest import wait_until

pytestmark = pytest.mark.interop

SERVICE = "hello-arrowhead"
PROVIDER = "quickstart-provider"
CONSUMER = "quickstart-consumer"
CLIENT_KINDS = {
    "sync": ("provider", "consumer"),
    "async": ("async_provider", "async_consumer"),
}


def _entries_of(operator, definition: str) -> list[dict]:
    response = operator.get("/serviceregistry/mgmt")
    assert response.status_code == 200, response.text
    return [
        entry
        for entry in response.json()["data"]
        if entry["serviceDefinition"]["serviceDefinition"] == definition
    ]


def _start_provider(drivers, server, script: str, port: int):
    return drivers(
        script,
        "--name",
        PROVIDER,
        "--port",
        str(port),
        "--server-port",
        str(server.port),
        "--service",
        SERVICE,
    )


def _run_consumer(drivers, server, script: str) -> tuple[int, str]:
    return run_driver(
        drivers,
        script,
        "--name",
        CONSUMER,
        "--port",
        str(free_port()),
        "--server-port",
        str(server.port),
        "--service",
        SERVICE,
    )


def _add_consumer(operator, port: int = 7656) -> int:
    response = operator.post(
        "/serviceregistry/mgmt/systems",
        json={"systemName": CONSUMER, "address": "127.0.0.1", "port": port},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _add_rule(operator, consumer_id: int, entry: dict) -> list[dict]:
    response = operator.post(
        "/authorization/mgmt/intracloud",
        json={
            "consumerId": consumer_id,
            "providerIds": [entry["provider"]["id"]],
            "serviceDefinitionIds": [entry["serviceDefinition"]["id"]],
            "interfaceIds": [entry["interfaces"][0]["id"]],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def _consumed_message(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_insecure_flow(kind, start_server, drivers):
    provider_script, consumer_script = CLIENT_KINDS[kind]
    server = start_server()
    operator = server.caller()
    provider_port = free_port()

    provider = _start_provider(drivers, server, provider_script, provider_port)
    wait_until(
        lambda: _entries_of(operator, SERVICE),
        30,
        f"the provider did not register:\n{provider.text()}",
    )
    entry = _entries_of(operator, SERVICE)[0]
    assert entry["provider"]["systemName"] == PROVIDER
    assert entry["serviceUri"] == "hello"
    assert entry["secure"] == "NOT_SECURE"
    assert [item["interfaceName"] for item in entry["interfaces"]] == [
        "HTTP-INSECURE-JSON"
    ]

    consumer_id = _add_consumer(operator)
    code, output = _run_consumer(drivers, server, consumer_script)
    assert code != 0, output
    assert "NoAvailableServicesError" in output

    rules = _add_rule(operator, consumer_id, entry)
    code, output = _run_consumer(drivers, server, consumer_script)
    assert code == 0, output
    consumed = _consumed_message(output)
    assert consumed["status"] == 200
    assert consumed["body"]["msg"] == "Hello, Arrowhead!"

    response = operator.delete(f"/authorization/mgmt/intracloud/{rules[0]['id']}")
    assert response.status_code == 200, response.text
    code, output = _run_consumer(drivers, server, consumer_script)
    assert "NoAvailableServicesError" in output

    stop_process(provider.process, signal.SIGINT)
    assert _entries_of(operator, SERVICE) == [], provider.text()
    log = server.log_text()
    assert log.count("POST /serviceregistry/register 201") == 1
    assert "DELETE /serviceregistry/unregister 200" in log


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_duplicate_registration_keeps_serving(kind, start_server, drivers):
    provider_script, consumer_script = CLIENT_KINDS[kind]
    server = start_server()
    operator = server.caller()
    provider_port = free_port()
    response = operator.post(
        "/serviceregistry/mgmt",
        json={
            "serviceDefinition": SERVICE,
            "serviceUri": "hello",
            "interfaces": ["HTTP-INSECURE-JSON"],
            "secure": "NOT_SECURE",
            "providerSystem": {
                "systemName": PROVIDER,
                "address": "127.0.0.1",
                "port": provider_port,
            },
        },
    )
    assert response.status_code == 201, response.text
    entry = response.json()

    provider = _start_provider(drivers, server, provider_script, provider_port)
    wait_until(
        lambda: port_is_open(provider_port),
        30,
        f"the provider did not start:\n{provider.text()}",
    )
    wait_until(
        lambda: "POST /serviceregistry/register 400" in server.log_text(),
        10,
        f"the registry did not reject the duplicate:\n{server.log_text()}",
    )
    if kind == "sync":
        wait_until(
            lambda: "already exists" in provider.text(),
            10,
            f"the provider did not print the rejection:\n{provider.text()}",
        )
    assert len(_entries_of(operator, SERVICE)) == 1

    consumer_id = _add_consumer(operator)
    _add_rule(operator, consumer_id, entry)
    code, output = _run_consumer(drivers, server, consumer_script)
    assert code == 0, output
    assert _consumed_message(output)["body"]["msg"] == "Hello, Arrowhead!"
