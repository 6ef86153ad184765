"""Real servers: gunicorn in direct mode, and nginx in front of gunicorn in proxy mode.

Both servers get a PKI written by the ``certs`` CLI, a SQLite database migrated
by ``flask db upgrade`` and free loopback ports. The same checks run against
both. Certificate failures differ by mode: gunicorn rejects the TLS handshake,
while nginx completes it and returns 401 with the Arrowhead error body.
"""

import datetime
import http.client
import os
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from arrowhead_lite.security import pki
from tests import helpers

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "arrowhead_lite" / "deploy"
START_TIMEOUT = 60
HANDSHAKE = "handshake rejected"


@dataclass(frozen=True)
class Pki:
    directory: Path
    foreign: Path
    expired: tuple[str, str]

    def client(self, name: str) -> tuple[str, str]:
        return str(self.directory / f"{name}.pem"), str(self.directory / f"{name}.key")

    @property
    def truststore(self) -> str:
        return str(self.directory / "truststore.pem")


@dataclass(frozen=True)
class Server:
    mode: str
    base_url: str
    pki: Pki
    # What a request with no, a foreign or an expired certificate gets.
    certificate_failure: object
    unix_socket: str | None = None
    gunicorn_url: str | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(**settings: str) -> dict:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ARROWHEAD_", "GUNICORN_"))
    }
    environment.update(
        ARROWHEAD_CLOUD_NAME=helpers.CLOUD_NAME,
        ARROWHEAD_CLOUD_OPERATOR=helpers.CLOUD_OPERATOR,
        ARROWHEAD_WORKERS="1",
        ARROWHEAD_THREADS="4",
    )
    environment.update(settings)
    return environment


def run_flask(environment: dict, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "arrowhead_lite", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def wait_until(check, process: subprocess.Popen, log_path: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"{what} exited with {process.returncode}:\n{log_path.read_text()}"
            )
        try:
            if check():
                return
        except (OSError, requests.RequestException, http.client.HTTPException):
            pass
        time.sleep(0.2)
    pytest.fail(f"{what} was not ready in {START_TIMEOUT} s:\n{log_path.read_text()}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def start_gunicorn(environment: dict, log_path: Path, *args: str) -> subprocess.Popen:
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:arrowhead_lite.gunicorn_conf",
                *args,
                "wsgi:app",
            ],
            cwd=REPO,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def migrated_database(directory: Path) -> str:
    url = f"sqlite:///{directory / 'arrowhead.db'}"
    run_flask(
        server_environment(ARROWHEAD_TLS_MODE="off", ARROWHEAD_DATABASE_URL=url),
        "db",
        "upgrade",
    )
    return url


@pytest.fixture(scope="session")
def e2e_pki(tmp_path_factory) -> Pki:
    """A PKI written by the CLI, a foreign one and an expired certificate."""
    directory = tmp_path_factory.mktemp("e2e-pki")
    foreign = tmp_path_factory.mktemp("e2e-foreign-pki")
    environment = server_environment(ARROWHEAD_TLS_MODE="off")
    run_flask(environment, "certs", "init", "--dir", str(directory))
    for name in ("consumer", "provider"):
        run_flask(environment, "certs", "issue", name, "--dir", str(directory))
    run_flask(environment, "certs", "init", "--dir", str(foreign))

    authority = pki.load_authority(str(directory))
    now = datetime.datetime.now(datetime.UTC)
    certificate, key = pki.issue_certificate(
        authority,
        f"sysop.{helpers.CLOUD_CN}",
        not_before=now - datetime.timedelta(days=30),
        not_after=now - datetime.timedelta(days=1),
    )
    expired = (directory / "expired.pem", directory / "expired.key")
    expired[0].write_bytes(pki.certificate_pem(certificate, authority.certificate))
    expired[1].write_bytes(pki.private_key_pem(key))
    return Pki(directory, foreign, (str(expired[0]), str(expired[1])))


@pytest.fixture(scope="session")
def direct_server(e2e_pki, tmp_path_factory):
    """gunicorn terminating mutual TLS on a free loopback port."""
    directory = tmp_path_factory.mktemp("e2e-direct")
    port = free_port()
    environment = server_environment(
        ARROWHEAD_TLS_MODE="direct",
        ARROWHEAD_CERTS_DIR=str(e2e_pki.directory),
        ARROWHEAD_DATABASE_URL=migrated_database(directory),
        ARROWHEAD_BIND=f"127.0.0.1:{port}",
    )
    log_path = directory / "gunicorn.log"
    process = start_gunicorn(environment, log_path)
    server = Server("direct", f"https://127.0.0.1:{port}", e2e_pki, HANDSHAKE)
    try:
        wait_until(
            lambda: get(server, "/serviceregistry/echo", "sysop").status_code == 200,
            process,
            log_path,
            "gunicorn (direct)",
        )
        yield server
    finally:
        stop(process)


def nginx_binary() -> str:
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    if os.access(path, os.X_OK):
        return path
    if os.environ.get("CI"):
        pytest.fail("nginx is not installed; .ci/run installs the Debian package")
    pytest.skip("nginx is not installed (apt-get install nginx)")


def nginx_site(pki_dir: Path, unix_socket: str, port: int) -> str:
    """Return the shipped site configuration with this test's paths and port."""
    site = (DEPLOY / "nginx-arrowhead-lite.conf").read_text()
    replacements = {
        "/etc/arrowhead-lite/certs/": f"{pki_dir}/",
        "unix:/run/arrowhead-lite/gunicorn.sock": f"unix:{unix_socket}",
        "listen 8443 ssl;": f"listen 127.0.0.1:{port} ssl;",
        "/etc/nginx/snippets/arrowhead-lite-identity.conf": str(
            DEPLOY / "arrowhead-lite-identity.conf"
        ),
    }
    for old, new in replacements.items():
        assert old in site, f"the shipped nginx site no longer contains {old!r}"
        site = site.replace(old, new)
    return site


def nginx_main_config(directory: Path) -> str:
    # As root, nginx workers would otherwise run as nobody, who cannot open
    # the 0660 socket or the test's private folders.
    user = "user root;" if os.geteuid() == 0 else ""
    temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi")}
    for path in temp.values():
        path.mkdir()
    return f"""
{user}
worker_processes 1;
error_log {directory}/error.log info;
pid {directory}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["uwsgi"]};
    include {directory}/site.conf;
}}
"""


@pytest.fixture(scope="session")
def proxy_server(e2e_pki, tmp_path_factory):
    """nginx terminating mutual TLS in front of gunicorn on a Unix socket.

    gunicorn also listens on a loopback TCP port, as a misconfigured server
    would, to show that forged headers sent there are not trusted.
    """
    nginx = nginx_binary()
    directory = tmp_path_factory.mktemp("e2e-proxy")
    unix_socket = str(directory / "gunicorn.sock")
    gunicorn_port = free_port()
    nginx_port = free_port()
    environment = server_environment(
        ARROWHEAD_TLS_MODE="proxy",
        ARROWHEAD_CERTS_DIR=str(e2e_pki.directory),
        ARROWHEAD_DATABASE_URL=migrated_database(directory),
        ARROWHEAD_BIND=f"unix:{unix_socket}",
    )
    gunicorn_log = directory / "gunicorn.log"
    gunicorn = start_gunicorn(
        environment,
        gunicorn_log,
        "--bind",
        f"unix:{unix_socket}",
        "--bind",
        f"127.0.0.1:{gunicorn_port}",
    )
    processes = [gunicorn]
    try:
        wait_until(
            lambda: unix_request(unix_socket, "/serviceregistry/echo").status == 401,
            gunicorn,
            gunicorn_log,
            "gunicorn (proxy)",
        )

        (directory / "site.conf").write_text(
            nginx_site(e2e_pki.directory, unix_socket, nginx_port)
        )
        (directory / "nginx.conf").write_text(nginx_main_config(directory))
        nginx_log = directory / "nginx.out"
        with open(nginx_log, "wb") as log:
            nginx_process = subprocess.Popen(
                [
                    nginx,
                    "-p",
                    str(directory),
                    "-c",
                    str(directory / "nginx.conf"),
                    "-g",
                    "daemon off;",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(nginx_process)
        server = Server(
            "proxy",
            f"https://127.0.0.1:{nginx_port}",
            e2e_pki,
            401,
            unix_socket=unix_socket,
            gunicorn_url=f"http://127.0.0.1:{gunicorn_port}",
        )
        wait_until(
            lambda: get(server, "/serviceregistry/echo", "sysop").status_code == 200,
            nginx_process,
            nginx_log,
            "nginx",
        )
        yield server
    finally:
        for process in reversed(processes):
            stop(process)


@pytest.fixture(params=["direct", "proxy"])
def server(request) -> Server:
    return request.getfixturevalue(f"{request.param}_server")


def get(server: Server, path: str, caller=None, **kwargs) -> requests.Response:
    return request(server, "GET", path, caller, **kwargs)


def request(
    server: Server, method: str, path: str, caller=None, **kwargs
) -> requests.Response:
    """Send a request over mutual TLS; ``caller`` is a system name or a pair."""
    certificate = server.pki.client(caller) if isinstance(caller, str) else caller
    return requests.request(
        method,
        server.base_url + path,
        cert=certificate,
        verify=server.pki.truststore,
        timeout=15,
        **kwargs,
    )


def outcome(server: Server, path: str, caller) -> object:
    """Return the status code, or HANDSHAKE when TLS rejected the client."""
    try:
        return get(server, path, caller).status_code
    except requests.exceptions.ConnectionError:
        return HANDSHAKE


def unix_request(
    unix_socket: str, path: str, method: str = "GET", headers=None, body=None
) -> http.client.HTTPResponse:
    """Send one plain HTTP request to gunicorn's Unix socket."""

    class UnixConnection(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(15)
            self.sock.connect(unix_socket)

    connection = UnixConnection("localhost")
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def forged_headers(pem_path, verify: str = "SUCCESS") -> dict:
    """Return certificate headers as nginx would send them for ``pem_path``."""
    text = Path(pem_path).read_text()
    leaf = text[: text.index("-----END CERTIFICATE-----") + 25] + "\n"
    return {"X-SSL-Client-Cert": quote(leaf, safe=""), "X-SSL-Client-Verify": verify}


def system_names(server: Server) -> set[str]:
    response = get(server, "/serviceregistry/mgmt/systems", "sysop")
    assert response.status_code == 200, response.text
    return {system["systemName"] for system in response.json()["data"]}


MGMT_SYSTEMS = "/serviceregistry/mgmt/systems"


def test_no_client_certificate(server):
    assert outcome(server, MGMT_SYSTEMS, None) == server.certificate_failure


def test_certificate_of_other_ca(server):
    foreign = (
        str(server.pki.foreign / "sysop.pem"),
        str(server.pki.foreign / "sysop.key"),
    )
    assert outcome(server, MGMT_SYSTEMS, foreign) == server.certificate_failure


def test_expired_certificate(server):
    assert outcome(server, MGMT_SYSTEMS, server.pki.expired) == (
        server.certificate_failure
    )


def test_certificate_failure_body(proxy_server):
    response = get(proxy_server, MGMT_SYSTEMS, None)
    assert response.json()["exceptionType"] == "AUTH"
    assert response.json()["errorCode"] == 401
    assert response.json()["origin"] == MGMT_SYSTEMS


def test_sysop_can_manage(server):
    response = get(server, MGMT_SYSTEMS, "sysop")
    assert response.status_code == 200
    assert "data" in response.json()


def test_application_cannot_manage(server):
    response = get(server, MGMT_SYSTEMS, "consumer")
    assert response.status_code == 401
    assert response.json()["exceptionType"] == "AUTH"


def test_client_header_does_not_change_caller(server):
    response = get(
        server,
        MGMT_SYSTEMS,
        "consumer",
        headers=forged_headers(server.pki.directory / "sysop.pem"),
    )
    assert response.status_code == 401


def test_provider_registers_itself(server):
    body = helpers.system_body("provider", port=9101)
    response = request(
        server, "POST", "/serviceregistry/register-system", "provider", json=body
    )
    assert response.status_code == 201, response.text


def test_provider_cannot_register_other_system(server):
    body = helpers.system_body("impostor", port=9102)
    response = request(
        server, "POST", "/serviceregistry/register-system", "provider", json=body
    )
    assert response.status_code == 401
    assert "impostor" not in system_names(server)


def test_provider_cannot_register_service_for_other(server):
    body = helpers.entry_body("temperature", "impostor", port=9103)
    response = request(
        server, "POST", "/serviceregistry/register", "provider", json=body
    )
    assert response.status_code == 401
    assert "impostor" not in system_names(server)


def orchestration_form(requester: str) -> dict:
    return {
        "requesterSystem": helpers.system_body(requester, port=9104),
        "requestedService": {"serviceDefinitionRequirement": "temperature"},
        "orchestrationFlags": {"overrideStore": True},
    }


def test_consumer_orchestrates_as_itself(server):
    registration = request(
        server,
        "POST",
        "/serviceregistry/register-system",
        "consumer",
        json=helpers.system_body("consumer", port=9104),
    )
    response = request(
        server,
        "POST",
        "/orchestrator/orchestration",
        "consumer",
        json=orchestration_form("consumer"),
    )
    assert registration.status_code == 201, registration.text
    assert response.status_code == 200, response.text
    assert response.json()["response"] == []


def test_consumer_cannot_orchestrate_as_other(server):
    response = request(
        server,
        "POST",
        "/orchestrator/orchestration",
        "consumer",
        json=orchestration_form("provider"),
    )
    assert response.status_code == 401
    assert response.json()["exceptionType"] == "AUTH"


def test_gunicorn_tcp_forged_headers_ignored(proxy_server):
    response = requests.get(
        proxy_server.gunicorn_url + MGMT_SYSTEMS,
        headers=forged_headers(proxy_server.pki.directory / "sysop.pem"),
        timeout=15,
    )
    assert response.status_code == 401


def test_gunicorn_socket_foreign_certificate(proxy_server):
    response = unix_request(
        proxy_server.unix_socket,
        MGMT_SYSTEMS,
        headers=forged_headers(proxy_server.pki.foreign / "sysop.pem"),
    )
    assert response.status == 401


def test_gunicorn_socket_failed_verification(proxy_server):
    response = unix_request(
        proxy_server.unix_socket,
        MGMT_SYSTEMS,
        headers=forged_headers(
            proxy_server.pki.directory / "sysop.pem", "FAILED:certificate revoked"
        ),
    )
    assert response.status == 401


def test_gunicorn_socket_expired_certificate(proxy_server):
    response = unix_request(
        proxy_server.unix_socket,
        MGMT_SYSTEMS,
        headers=forged_headers(proxy_server.pki.expired[0]),
    )
    assert response.status == 401


def test_gunicorn_socket_mode_0660(proxy_server):
    mode = os.stat(proxy_server.unix_socket).st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o660


def test_underscore_header_dropped(proxy_server):
    response = get(
        proxy_server,
        MGMT_SYSTEMS,
        "consumer",
        headers={
            "X_SSL_Client_Cert": forged_headers(
                proxy_server.pki.directory / "sysop.pem"
            )["X-SSL-Client-Cert"]
        },
    )
    assert response.status_code == 401


def served_serial(port: int, pki_dir: Path) -> int:
    """Return the serial number of the certificate the server presents."""
    from cryptography import x509

    context = ssl.create_default_context(cafile=str(pki_dir / "truststore.pem"))
    context.load_cert_chain(pki_dir / "sysop.pem", pki_dir / "sysop.key")
    with socket.create_connection(("127.0.0.1", port), timeout=15) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            der = tls.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der).serial_number


def test_reload_reads_renewed_certificate(e2e_pki, tmp_path):
    """One worker caches its TLS context; SIGHUP starts a worker with new files."""
    pki_dir = tmp_path / "pki"
    shutil.copytree(e2e_pki.directory, pki_dir)
    port = free_port()
    environment = server_environment(
        ARROWHEAD_TLS_MODE="direct",
        ARROWHEAD_CERTS_DIR=str(pki_dir),
        ARROWHEAD_DATABASE_URL=migrated_database(tmp_path),
        ARROWHEAD_BIND=f"127.0.0.1:{port}",
    )
    log_path = tmp_path / "gunicorn.log"
    process = start_gunicorn(environment, log_path)
    try:
        wait_until(
            lambda: served_serial(port, pki_dir) > 0, process, log_path, "gunicorn"
        )
        first = served_serial(port, pki_dir)

        authority = pki.load_authority(str(pki_dir))
        renewed, key = pki.issue_certificate(
            authority, f"serviceregistry.{helpers.CLOUD_CN}"
        )
        (pki_dir / "server.pem").write_bytes(
            pki.certificate_pem(renewed, authority.certificate)
        )
        (pki_dir / "server.key").write_bytes(pki.private_key_pem(key))
        cached = served_serial(port, pki_dir)

        process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: served_serial(port, pki_dir) == renewed.serial_number,
            process,
            log_path,
            "the reloaded gunicorn",
        )
    finally:
        stop(process)

    assert cached == first
    assert first != renewed.serial_number
