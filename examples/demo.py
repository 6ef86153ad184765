"""The orchestration flow against a running arrowhead-lite, over mutual TLS.

Start the server with ``make run`` in one terminal, then run ``make demo`` (or
``python examples/demo.py``) in another. The demo

1. issues certificates for sensor-1, sensor-2, sensor-3 and consumer;
2. starts three temperature providers (examples/temperature_provider.py);
3. registers each as a TOKEN service with its public key, and the consumer;
4. lets consumer use sensor-1 and sensor-2 (two rules, as sysop);
5. orchestrates as consumer: sensor-1 and sensor-2 come back with tokens;
6. reads each temperature with its token;
7. shows that sensor-3 is missing and refuses the consumer, and that a
   provider refuses a forged token.

It removes its systems before and after the run, prints each step and exits
with status 1 as soon as a step fails.
"""

import argparse
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from arrowhead_lite.security import keys  # noqa: E402
from arrowhead_lite.security import tokens  # noqa: E402

SERVICE = "temperature"
INTERFACE = "HTTP-SECURE-JSON"
CONSUMER = "consumer"
CONSUMER_PORT = 9000
SENSORS = {"sensor-1": 21.5, "sensor-2": 19.0, "sensor-3": 23.0}
ALLOWED = ("sensor-1", "sensor-2")
DEMO_SYSTEMS = (*SENSORS, CONSUMER)
START_TIMEOUT = 30


class StepFailed(Exception):
    """A demo step did not give the expected result."""


@dataclass
class Response:
    status: int
    body: object


@dataclass
class Provider:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path


def say(text: str) -> None:
    print(text, flush=True)


class Client:
    """HTTPS requests to arrowhead-lite and the providers as one system."""

    def __init__(self, certs: Path, name: str) -> None:
        self.name = name
        self.context = ssl.create_default_context(cafile=str(certs / "truststore.pem"))
        self.context.load_cert_chain(
            str(certs / f"{name}.pem"), str(certs / f"{name}.key")
        )

    def request(self, method: str, url: str, body: object = None) -> Response:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(
                request, context=self.context, timeout=15
            ) as reply:
                return Response(reply.status, _decode(reply.read()))
        except urllib.error.HTTPError as error:
            return Response(error.code, _decode(error.read()))


def _decode(raw: bytes) -> object:
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def expect(response: Response, status: int, step: str) -> object:
    """Return the body when ``response`` has ``status``; otherwise fail the step."""
    if response.status != status:
        raise StepFailed(
            f"{step}: expected HTTP {status}, got {response.status}: {response.body}"
        )
    return response.body


class Demo:
    def __init__(self, server: str, certs: Path, wait: float) -> None:
        self.server = server.rstrip("/")
        self.certs = certs
        self.wait = wait
        self.providers: list[Provider] = []
        self.log_dir = Path(tempfile.mkdtemp(prefix="arrowhead-demo-"))
        self.environment = dict(os.environ)
        self.environment["ARROWHEAD_CERTS_DIR"] = str(certs)
        self.environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(REPO), os.environ.get("PYTHONPATH")])
        )

    def url(self, path: str) -> str:
        return f"{self.server}{path}"

    # Steps ------------------------------------------------------------------

    def wait_for_server(self) -> None:
        say(
            f"Step 0: waiting up to {self.wait:g} s for arrowhead-lite at {self.server}"
        )
        sysop = Client(self.certs, "sysop")
        deadline = time.monotonic() + self.wait
        while True:
            try:
                if (
                    sysop.request("GET", self.url("/serviceregistry/echo")).status
                    == 200
                ):
                    say("  arrowhead-lite responds.")
                    return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise StepFailed(
                    f"arrowhead-lite does not respond at {self.server}. Start it with "
                    "'make run' in another terminal, wait for 'Listening at', "
                    "then run 'make demo' again."
                )
            time.sleep(0.5)

    def issue_certificates(self) -> None:
        say("Step 1: certificates for the three sensors and the consumer")
        for name in DEMO_SYSTEMS:
            if (self.certs / f"{name}.pem").exists() and (
                self.certs / f"{name}.key"
            ).exists():
                say(f"  {name}: using the existing {self.certs / name}.pem")
                continue
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "flask",
                    "--app",
                    "arrowhead_lite",
                    "certs",
                    "issue",
                    name,
                    "--dir",
                    str(self.certs),
                ],
                cwd=REPO,
                env=self.environment,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if result.returncode != 0:
                raise StepFailed(
                    f"'flask certs issue {name}' failed:\n"
                    f"{result.stdout}{result.stderr}"
                )
            say(f"  {name}: issued {self.certs / name}.pem")

    def remove_demo_systems(self, when: str) -> None:
        sysop = Client(self.certs, "sysop")
        body = expect(
            sysop.request("GET", self.url("/serviceregistry/mgmt/systems")),
            200,
            "listing systems",
        )
        removed = []
        for system in body["data"]:
            if system["systemName"] in DEMO_SYSTEMS:
                expect(
                    sysop.request(
                        "DELETE",
                        self.url(f"/serviceregistry/mgmt/systems/{system['id']}"),
                    ),
                    200,
                    f"removing system {system['systemName']}",
                )
                removed.append(system["systemName"])
        if removed:
            say(
                f"  {when}: removed the systems {', '.join(removed)} with their "
                "services and rules"
            )

    def start_providers(self) -> None:
        say("Step 2: starting the temperature providers")
        for name, celsius in SENSORS.items():
            port = free_port()
            log_path = self.log_dir / f"{name}.log"
            with open(log_path, "wb") as log:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        str(REPO / "examples" / "temperature_provider.py"),
                        "--name",
                        name,
                        "--port",
                        str(port),
                        "--celsius",
                        str(celsius),
                        "--certs",
                        str(self.certs),
                        "--server",
                        self.server,
                    ],
                    cwd=REPO,
                    env=self.environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            self.providers.append(Provider(name, port, process, log_path))

        consumer = Client(self.certs, CONSUMER)
        for provider in self.providers:
            self.wait_for_provider(provider, consumer)
            say(
                f"  {provider.name} serves https://127.0.0.1:{provider.port}/temperature"
            )

    def wait_for_provider(self, provider: Provider, consumer: Client) -> None:
        url = f"https://127.0.0.1:{provider.port}/temperature"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if provider.process.poll() is not None:
                break
            try:
                # Without a token the provider returns 401, so it is up.
                if consumer.request("GET", url).status == 401:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise StepFailed(
            f"{provider.name} did not start:\n{provider.log_path.read_text()}"
        )

    def register(self) -> dict:
        say(f"Step 3: registering the sensors as TOKEN services '{SERVICE}'")
        ids = {}
        for provider in self.providers:
            client = Client(self.certs, provider.name)
            body = {
                "serviceDefinition": SERVICE,
                "providerSystem": {
                    "systemName": provider.name,
                    "address": "127.0.0.1",
                    "port": provider.port,
                    "authenticationInfo": public_key_of(
                        self.certs / f"{provider.name}.pem"
                    ),
                },
                "serviceUri": "/temperature",
                "secure": "TOKEN",
                "interfaces": [INTERFACE],
                "metadata": {"unit": "celsius"},
            }
            entry = expect(
                client.request("POST", self.url("/serviceregistry/register"), body),
                201,
                f"registering {provider.name}",
            )
            ids[provider.name] = entry["provider"]["id"]
            ids["service"] = entry["serviceDefinition"]["id"]
            ids["interface"] = entry["interfaces"][0]["id"]
            say(
                f"  {provider.name} registered itself (entry {entry['id']}, "
                f"its public key as authenticationInfo)"
            )

        consumer = Client(self.certs, CONSUMER)
        system = expect(
            consumer.request(
                "POST",
                self.url("/serviceregistry/register-system"),
                {"systemName": CONSUMER, "address": "127.0.0.1", "port": CONSUMER_PORT},
            ),
            201,
            "registering the consumer",
        )
        ids[CONSUMER] = system["id"]
        say(f"  {CONSUMER} registered itself (system {system['id']})")
        return ids

    def add_rules(self, ids: dict) -> None:
        say(f"Step 4: as sysop, allowing {CONSUMER} to use {' and '.join(ALLOWED)}")
        sysop = Client(self.certs, "sysop")
        body = {
            "consumerId": ids[CONSUMER],
            "providerIds": [ids[name] for name in ALLOWED],
            "serviceDefinitionIds": [ids["service"]],
            "interfaceIds": [ids["interface"]],
        }
        created = expect(
            sysop.request("POST", self.url("/authorization/mgmt/intracloud"), body),
            201,
            "adding the rules",
        )
        for rule in created["data"]:
            say(
                f"  rule {rule['id']}: {rule['consumerSystem']['systemName']} -> "
                f"{rule['providerSystem']['systemName']} ({SERVICE})"
            )
        say("  no rule for sensor-3")

    def orchestrate(self) -> list[dict]:
        say(f"Step 5: {CONSUMER} asks the Orchestrator for '{SERVICE}'")
        consumer = Client(self.certs, CONSUMER)
        body = {
            "requesterSystem": {
                "systemName": CONSUMER,
                "address": "127.0.0.1",
                "port": CONSUMER_PORT,
            },
            "requestedService": {
                "serviceDefinitionRequirement": SERVICE,
                "interfaceRequirements": [INTERFACE],
            },
            "orchestrationFlags": {"overrideStore": True},
        }
        results = expect(
            consumer.request("POST", self.url("/orchestrator/orchestration"), body),
            200,
            "orchestrating",
        )["response"]
        names = sorted(result["provider"]["systemName"] for result in results)
        say(f"  the Orchestrator returned {len(results)} providers: {', '.join(names)}")
        if names != sorted(ALLOWED):
            raise StepFailed(
                f"expected the providers {', '.join(ALLOWED)}, got {names}"
            )
        for result in results:
            if INTERFACE not in (result.get("authorizationTokens") or {}):
                raise StepFailed(
                    f"{result['provider']['systemName']} came without a token"
                )
        say("  each comes with a token for HTTP-SECURE-JSON")
        return results

    def read_temperatures(self, results: list[dict]) -> None:
        say("Step 6: calling each provider with its token")
        consumer = Client(self.certs, CONSUMER)
        for result in results:
            provider = result["provider"]
            token = result["authorizationTokens"][INTERFACE]
            url = (
                f"https://{provider['address']}:{provider['port']}{result['serviceUri']}"
                f"?{urllib.parse.urlencode({'token': token})}"
            )
            reading = expect(
                consumer.request("GET", url), 200, f"reading {provider['systemName']}"
            )
            say(
                f"  {reading['sensor']}: {reading['celsius']} °C "
                f"(token accepted for {reading['consumer']})"
            )

    def show_refusals(self, results: list[dict]) -> None:
        say("Step 7: what the consumer cannot do")
        say("  sensor-3 is not in the orchestration response: no rule allows it")
        consumer = Client(self.certs, CONSUMER)
        sensor_3 = next(p for p in self.providers if p.name == "sensor-3")
        token_for_sensor_1 = results[0]["authorizationTokens"][INTERFACE]
        refused = consumer.request(
            "GET",
            f"https://127.0.0.1:{sensor_3.port}/temperature?"
            f"{urllib.parse.urlencode({'token': token_for_sensor_1})}",
        )
        expect(refused, 401, "sensor-3 with another provider's token")
        say(
            f"  sensor-3 refuses another provider's token with 401: "
            f"{refused.body['errorMessage']}"
        )

        target = results[0]["provider"]
        forged = forge_token(self.certs, target["systemName"], self.environment)
        refused = consumer.request(
            "GET",
            f"https://{target['address']}:{target['port']}/temperature?"
            f"{urllib.parse.urlencode({'token': forged})}",
        )
        expect(refused, 401, f"{target['systemName']} with a forged token")
        say(
            f"  {target['systemName']} refuses a forged token with 401: "
            f"{refused.body['errorMessage']}"
        )

    def stop_providers(self) -> None:
        for provider in self.providers:
            provider.process.terminate()
        for provider in self.providers:
            try:
                provider.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                provider.process.kill()
                provider.process.wait(timeout=10)

    def run(self) -> None:
        self.wait_for_server()
        self.issue_certificates()
        self.remove_demo_systems("before the run")
        try:
            self.start_providers()
            ids = self.register()
            self.add_rules(ids)
            results = self.orchestrate()
            self.read_temperatures(results)
            self.show_refusals(results)
        finally:
            self.stop_providers()
            say("Cleaning up")
            self.remove_demo_systems("after the run")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def public_key_of(certificate_path: Path) -> str:
    """Return the certificate's public key as ``authenticationInfo``."""
    certificate = x509.load_pem_x509_certificates(certificate_path.read_bytes())[0]
    return keys.public_key_to_base64(certificate.public_key())


def forge_token(certs: Path, provider: str, environment: dict) -> str:
    """Return a token for the consumer signed with a key that is not Authorization's.

    It is encrypted correctly to the provider, so only the signature check fails.
    """
    cloud = ".".join(
        [
            environment.get("ARROWHEAD_CLOUD_NAME", "localcloud"),
            environment.get("ARROWHEAD_CLOUD_OPERATOR", "operator"),
        ]
    )
    claims = tokens.build_claims(f"{CONSUMER}.{cloud}", SERVICE, INTERFACE, 300)
    forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = x509.load_pem_x509_certificates(
        (certs / f"{provider}.pem").read_bytes()
    )[0]
    return tokens.issue_token(claims, forger_key, certificate.public_key())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server",
        default="https://127.0.0.1:8443",
        help="arrowhead-lite URL (default %(default)s)",
    )
    parser.add_argument(
        "--certs",
        default=os.environ.get("ARROWHEAD_CERTS_DIR", "certs"),
        help="the server's PKI folder, with ca.key and sysop.pem",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=10,
        help="seconds to wait for the server (default %(default)s)",
    )
    args = parser.parse_args(argv)

    certs = Path(args.certs).resolve()
    if not (certs / "sysop.pem").exists():
        say(
            f"FAILED: {certs} has no sysop.pem. Run 'make run' once: it creates the "
            "development PKI in certs/."
        )
        return 1

    try:
        Demo(args.server, certs, args.wait).run()
    except StepFailed as error:
        say(f"FAILED: {error}")
        return 1
    except OSError as error:
        say(f"FAILED: {error}")
        return 1
    say("Demo finished: every step passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
