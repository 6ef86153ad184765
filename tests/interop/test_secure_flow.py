"""The official client over mutual TLS with TOKEN and CERTIFICATE services.

The PKI comes from ``flask certs init/issue``. The provider fetches the
Authorization public key and registers with its own key. The consumer
orchestrates, receives a token and consumes. The provider's own token check
(decrypt, verify, ``cid``, ``sid``, ``iid``) decides whether it may.
"""

import base64
import json

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.interop.conftest import free_port
from tests.interop.conftest import port_is_open
from tests.interop.conftest import run_driver
from tests.interop.conftest import wait_until

pytestmark = pytest.mark.interop

PROVIDER = "quickstart-provider"
CONSUMER = "quickstart-consumer"
OTHER_CONSUMER = "other-consumer"


def _public_key_of(pem_path) -> str:
    with open(pem_path, "rb") as pem:
        certificate = x509.load_pem_x509_certificate(pem.read())
    der = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _entries_of(operator, definition: str) -> list[dict]:
    response = operator.get("/serviceregistry/mgmt")
    assert response.status_code == 200, response.text
    return [
        entry
        for entry in response.json()["data"]
        if entry["serviceDefinition"]["serviceDefinition"] == definition
    ]


def _start_provider(drivers, server, pki, service, uri, method, policy, port):
    provider = drivers(
        "provider",
        *("--name", PROVIDER, "--port", str(port)),
        *("--server-port", str(server.port), "--certs", str(pki)),
        *("--service", service, "--uri", uri),
        *("--method", method, "--policy", policy),
    )
    wait_until(
        lambda: _entries_of(server.caller(), service),
        30,
        f"the provider did not register {service}:\n{provider.text()}",
    )
    wait_until(lambda: port_is_open(port), 30, "the provider does not listen")
    return provider


def _run_consumer(drivers, server, pki, name, service, method, *extra):
    return run_driver(
        drivers,
        "consumer",
        *("--name", name, "--port", str(free_port())),
        *("--server-port", str(server.port), "--certs", str(pki)),
        *("--service", service, "--method", method),
        *extra,
    )


def _add_system(operator, name: str) -> int:
    response = operator.post(
        "/serviceregistry/mgmt/systems",
        json={"systemName": name, "address": "127.0.0.1", "port": free_port()},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _add_rule(operator, consumer_id: int, entry: dict) -> None:
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


def _orchestrate(server, name: str, service: str) -> list[dict]:
    response = server.caller(name).post(
        "/orchestrator/orchestration",
        json={
            "requesterSystem": {
                "systemName": name,
                "address": "127.0.0.1",
                "port": 7656,
            },
            "requestedService": {"serviceDefinitionRequirement": service},
            "orchestrationFlags": {"overrideStore": True},
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["response"]


def _call_provider(pki, port: int, name: str, token: str) -> requests.Response:
    return requests.get(
        f"https://127.0.0.1:{port}/hello",
        cert=(str(pki / f"{name}.pem"), str(pki / f"{name}.key")),
        verify=str(pki / "truststore.pem"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )


@pytest.fixture
def token_setup(pki, start_server, drivers):
    """Start a TLS server and a TOKEN provider; authorize CONSUMER for it."""
    server = start_server(tls_mode="direct", certs=pki)
    operator = server.caller("sysop")
    port = free_port()
    provider = _start_provider(
        drivers, server, pki, "hello-arrowhead", "hello", "GET", "TOKEN", port
    )
    entry = _entries_of(operator, "hello-arrowhead")[0]
    consumer_id = _add_system(operator, CONSUMER)
    _add_rule(operator, consumer_id, entry)
    return server, provider, entry, port


def test_provider_fetches_public_key(token_setup):
    server, provider, entry, port = token_setup
    assert "GET /authorization/publickey 200" in server.log_text()


def test_provider_registers_its_key(token_setup, pki):
    server, provider, entry, port = token_setup
    expected = _public_key_of(pki / f"{PROVIDER}.pem")
    assert entry["provider"]["authenticationInfo"] == expected
    assert entry["secure"] == "TOKEN"
    assert entry["interfaces"][0]["interfaceName"] == "HTTP-SECURE-JSON"


def test_token_consumer_consumes(token_setup, pki, drivers):
    server, provider, entry, port = token_setup
    code, output = _run_consumer(
        drivers, server, pki, CONSUMER, "hello-arrowhead", "GET"
    )
    assert code == 0, output + provider.text()
    consumed = json.loads(output.strip().splitlines()[-1])
    assert consumed["status"] == 200
    assert consumed["body"]["msg"] == "Hello, Arrowhead!"


def test_orchestration_carries_token(token_setup):
    server, provider, entry, port = token_setup
    results = _orchestrate(server, CONSUMER, "hello-arrowhead")
    assert len(results) == 1
    assert results[0]["authorizationTokens"]["HTTP-SECURE-JSON"]


def test_provider_accepts_token_of_consumer(token_setup, pki):
    server, provider, entry, port = token_setup
    token = _orchestrate(server, CONSUMER, "hello-arrowhead")[0]
    response = _call_provider(
        pki, port, CONSUMER, token["authorizationTokens"]["HTTP-SECURE-JSON"]
    )
    assert response.status_code == 200, response.text


def test_provider_refuses_token_from_other_system(token_setup, pki):
    server, provider, entry, port = token_setup
    token = _orchestrate(server, CONSUMER, "hello-arrowhead")[0]
    response = _call_provider(
        pki, port, OTHER_CONSUMER, token["authorizationTokens"]["HTTP-SECURE-JSON"]
    )
    assert response.status_code == 403, response.text


def test_provider_refuses_missing_token(token_setup, pki):
    server, provider, entry, port = token_setup
    response = _call_provider(pki, port, CONSUMER, "")
    assert response.status_code == 403, response.text


def test_unauthorized_consumer_gets_no_provider(token_setup, pki, drivers):
    server, provider, entry, port = token_setup
    _add_system(server.caller("sysop"), OTHER_CONSUMER)
    code, output = _run_consumer(
        drivers, server, pki, OTHER_CONSUMER, "hello-arrowhead", "GET"
    )
    assert code != 0, output
    assert "NoAvailableServicesError" in output


def test_consumer_cannot_orchestrate_as_other_system(token_setup, pki):
    server, provider, entry, port = token_setup
    response = server.caller(OTHER_CONSUMER).post(
        "/orchestrator/orchestration",
        json={
            "requesterSystem": {
                "systemName": CONSUMER,
                "address": "127.0.0.1",
                "port": 7656,
            },
            "requestedService": {"serviceDefinitionRequirement": "hello-arrowhead"},
            "orchestrationFlags": {"overrideStore": True},
        },
    )
    assert response.status_code == 401, response.text


def test_system_certificate_cannot_use_mgmt(token_setup):
    server, provider, entry, port = token_setup
    response = server.caller(CONSUMER).get("/serviceregistry/mgmt")
    assert response.status_code == 401, response.text
    assert "errorMessage" in response.json()


def test_certificate_service_consumed_without_token(pki, start_server, drivers):
    server = start_server(tls_mode="direct", certs=pki)
    operator = server.caller("sysop")
    provider = _start_provider(
        drivers, server, pki, "echo", "echo", "PUT", "CERTIFICATE", free_port()
    )
    entry = _entries_of(operator, "echo")[0]
    assert entry["secure"] == "CERTIFICATE"
    consumer_id = _add_system(operator, CONSUMER)
    _add_rule(operator, consumer_id, entry)

    code, output = _run_consumer(
        drivers, server, pki, CONSUMER, "echo", "PUT", "--payload", '{"value": 42}'
    )

    assert code == 0, output + provider.text()
    consumed = json.loads(output.strip().splitlines()[-1])
    assert consumed["body"]["echo"] == {"value": 42}
    results = _orchestrate(server, CONSUMER, "echo")
    assert results[0]["authorizationTokens"] == {}
