"""``examples/demo.py``: the whole flow against real gunicorn, and its failures."""

import subprocess
import sys

import pytest
import requests

from tests.security.conftest import run_certs
from tests.security.test_e2e import REPO
from tests.security.test_e2e import free_port
from tests.security.test_e2e import migrated_database
from tests.security.test_e2e import run_flask
from tests.security.test_e2e import server_environment
from tests.security.test_e2e import start_gunicorn
from tests.security.test_e2e import stop
from tests.security.test_e2e import wait_until


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Run the demo once against its own gunicorn; return the finished process."""
    directory = tmp_path_factory.mktemp("demo")
    certs = directory / "certs"
    port = free_port()
    environment = server_environment(
        ARROWHEAD_TLS_MODE="direct",
        ARROWHEAD_CERTS_DIR=str(certs),
        ARROWHEAD_DATABASE_URL=migrated_database(directory),
        ARROWHEAD_BIND=f"127.0.0.1:{port}",
    )
    # The app cannot start in direct mode before the PKI exists.
    run_flask(
        {**environment, "ARROWHEAD_TLS_MODE": "off"},
        "certs",
        "init",
        "--dir",
        str(certs),
    )
    log_path = directory / "gunicorn.log"
    server = start_gunicorn(environment, log_path)
    try:
        wait_until(
            lambda: _echo(port, certs) == 0,
            server,
            log_path,
            "gunicorn (direct)",
        )
        yield subprocess.run(
            [
                sys.executable,
                "examples/demo.py",
                "--server",
                f"https://127.0.0.1:{port}",
                "--certs",
                str(certs),
            ],
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        stop(server)


def _echo(port: int, certs) -> int:
    response = requests.get(
        f"https://127.0.0.1:{port}/serviceregistry/echo",
        cert=(str(certs / "sysop.pem"), str(certs / "sysop.key")),
        verify=str(certs / "truststore.pem"),
        timeout=5,
    )
    return 0 if response.status_code == 200 else 1


@pytest.mark.e2e
def test_demo_exits_zero(demo_run):
    assert demo_run.returncode == 0, demo_run.stdout + demo_run.stderr


@pytest.mark.e2e
@pytest.mark.parametrize(
    "line",
    [
        "the Orchestrator returned 2 providers: sensor-1, sensor-2",
        "sensor-1: 21.5 °C",
        "sensor-2: 19.0 °C",
        "sensor-3 is not in the orchestration response",
        "sensor-3 refuses another provider's token with 401",
        "refuses a forged token with 401",
        "Demo finished: every step passed.",
    ],
)
def test_demo_prints(demo_run, line):
    assert line in demo_run.stdout


def test_demo_without_server_explains(tmp_path):
    certs = tmp_path / "certs"
    assert run_certs(certs, "init").exit_code == 0

    result = subprocess.run(
        [
            sys.executable,
            "examples/demo.py",
            "--server",
            f"https://127.0.0.1:{free_port()}",
            "--certs",
            str(certs),
            "--wait",
            "1",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "Start it with 'make run' in another terminal" in result.stdout


def test_demo_without_pki_explains(tmp_path):
    result = subprocess.run(
        [sys.executable, "examples/demo.py", "--certs", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "has no sysop.pem" in result.stdout
