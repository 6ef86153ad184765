"""Fixtures for running the official arrowhead-client library against a real server.

The library (PyPI ``arrowhead-client`` 0.4.4a0) needs pydantic 1 and an old
FastAPI, so it lives in its own virtualenv ``.venv-ahclient`` in the repository
root, created once and reused while its requirements stay the same. The server
runs under gunicorn on a free loopback port, on this test's database.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = Path(__file__).resolve().parent / "drivers"
CLIENT_VENV = ROOT / ".venv-ahclient"
# cryptography 48.0.0 is verified with jwcrypto 0.8, which the library pins and
# which still passes default_backend() around.
CLIENT_REQUIREMENTS = (
    "arrowhead-client==0.4.4a0",
    "pydantic>=1.10,<2",
    "fastapi<0.100",
    "cryptography==48.0.0",
)
PIP_TIMEOUT_SECONDS = 600
START_TIMEOUT_SECONDS = 30
DRIVER_TIMEOUT_SECONDS = 90
PKI_SYSTEMS = ("quickstart-provider", "quickstart-consumer", "other-consumer")


@dataclass(frozen=True)
class ToolVenv:
    """A virtualenv in the repository root for one third-party client."""

    folder: Path
    installs: tuple[tuple[str, ...], ...]
    smoke_import: str

    @property
    def python(self) -> Path:
        return self.folder / "bin" / "python"

    @property
    def marker(self) -> Path:
        return self.folder / "arrowhead-lite-requirements.txt"

    def recipe(self) -> str:
        return "\n".join(" ".join(packages) for packages in self.installs)

    def is_ready(self) -> bool:
        if not self.python.exists() or not self.marker.exists():
            return False
        if self.marker.read_text() != self.recipe():
            return False
        check = subprocess.run(
            [str(self.python), "-c", self.smoke_import],
            capture_output=True,
            timeout=60,
        )
        return check.returncode == 0

    def create(self) -> None:
        """Create the virtualenv and run each pip install; fail the test on error."""
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(self.folder)],
            check=True,
            capture_output=True,
        )
        for packages in self.installs:
            install = subprocess.run(
                [str(self.python), "-m", "pip", "install", "--quiet", *packages],
                capture_output=True,
                text=True,
                timeout=PIP_TIMEOUT_SECONDS,
            )
            if install.returncode != 0:
                pytest.fail(
                    f"pip install {' '.join(packages)} failed in {self.folder}:\n"
                    f"{install.stdout[-3000:]}\n{install.stderr[-3000:]}"
                )

        check = subprocess.run(
            [str(self.python), "-c", self.smoke_import],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            pytest.fail(f"{self.smoke_import} failed:\n{check.stderr[-3000:]}")
        self.marker.write_text(self.recipe())

    def ensure(self) -> Path:
        """Return the virtualenv's Python, creating the virtualenv when needed."""
        if not self.is_ready():
            self.create()
        return self.python


CLIENT_TOOL = ToolVenv(
    CLIENT_VENV,
    (CLIENT_REQUIREMENTS,),
    "import arrowhead_client.client.implementations",
)
# pyrrowhead 0.5.0b0 pins pyyaml~=5.4.1, which does not build on Python 3.11,
# and cryptography~=35.0, so it is installed without its dependencies and
# these are chosen by hand: rich 10 for rich.console.RenderGroup, and requests
# before 2.32, which rejects the list pyrrowhead passes as cert=.
PYRROWHEAD_TOOL = ToolVenv(
    ROOT / ".venv-pyrrowhead",
    (
        ("--no-deps", "pyrrowhead==0.5.0b0"),
        (
            "pyyaml>=6",
            "yamlloader~=1.0.0",
            "typer",
            "click>=8",
            "rich==10.*",
            "jinja2~=3.0",
            "requests>=2.26,<2.32",
            "cryptography==48.0.0",
        ),
    ),
    "import pyrrowhead.main",
)


@pytest.fixture(scope="session")
def client_python() -> Path:
    """Return the Python of the arrowhead-client virtualenv, creating it once."""
    return CLIENT_TOOL.ensure()


@pytest.fixture(scope="session")
def pyrrowhead_python() -> Path:
    """Return the Python of the pyrrowhead virtualenv, creating it once."""
    return PYRROWHEAD_TOOL.ensure()


def _flask(certs_dir, *args: str) -> None:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ARROWHEAD_")
    }
    # In the secure modes the app loads the Authorization keys at start-up,
    # which do not exist before certs init writes them.
    environment.update(
        {
            "ARROWHEAD_CLOUD_NAME": "testcloud",
            "ARROWHEAD_CLOUD_OPERATOR": "aitia",
            "ARROWHEAD_TLS_MODE": "off",
            "ARROWHEAD_CERTS_DIR": str(certs_dir),
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "arrowhead_lite", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """Write a PKI for cloud testcloud.aitia with the test systems' certificates."""
    folder = tmp_path_factory.mktemp("pki")
    _flask(folder, "certs", "init", "--dir", str(folder))
    for name in PKI_SYSTEMS:
        _flask(folder, "certs", "issue", name, "--dir", str(folder))
    return folder


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition, timeout: float, message: str) -> None:
    """Poll ``condition`` every 0.1 s until it is true, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"Timed out after {timeout} s: {message}")


@dataclass
class Caller:
    """An HTTP caller of the server: the operator or a system, with its PEM files."""

    base_url: str
    cert: tuple[str, str] | None = None
    verify: str | bool = False

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method,
            self.base_url + path,
            cert=self.cert,
            verify=self.verify,
            timeout=15,
            **kwargs,
        )

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@dataclass
class Server:
    """A running arrowhead-lite: its port, URL, certificates and log file."""

    port: int
    scheme: str
    certs: Path | None
    log: Path
    process: subprocess.Popen = field(repr=False)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def caller(self, name: str | None = None) -> Caller:
        """Return a caller with the PEM files of ``name`` (``sysop`` for mgmt)."""
        if self.certs is None:
            return Caller(self.base_url)
        name = name or "sysop"
        cert = (str(self.certs / f"{name}.pem"), str(self.certs / f"{name}.key"))
        return Caller(self.base_url, cert, str(self.certs / "truststore.pem"))

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def server_environment(database: str, port: int, tls_mode: str, certs: Path | None):
    """Return a server environment: ours without ARROWHEAD_*, plus these."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ARROWHEAD_")
    }
    environment.update(
        {
            "ARROWHEAD_DATABASE_URL": database,
            "ARROWHEAD_TLS_MODE": tls_mode,
            "ARROWHEAD_BIND": f"127.0.0.1:{port}",
            "ARROWHEAD_PUBLIC_ADDRESS": "127.0.0.1",
            "ARROWHEAD_PUBLIC_PORT": str(port),
            "ARROWHEAD_CLOUD_NAME": "testcloud",
            "ARROWHEAD_CLOUD_OPERATOR": "aitia",
            "ARROWHEAD_WORKERS": "2",
            "ARROWHEAD_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if certs is not None:
        environment["ARROWHEAD_CERTS_DIR"] = str(certs)
    return environment


def _gunicorn_command() -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:arrowhead_lite.gunicorn_conf",
        "wsgi:app",
    ]


@pytest.fixture
def start_server(database, tmp_path):
    """Return a function that starts arrowhead-lite under gunicorn on this database.

    The core services are published first with ``flask core publish``, as
    ``make run`` does.
    """
    processes: list[subprocess.Popen] = []

    def start(tls_mode: str = "off", certs: Path | None = None) -> Server:
        port = free_port()
        environment = server_environment(database, port, tls_mode, certs)
        publish = subprocess.run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "arrowhead_lite",
                "core",
                "publish",
            ],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
        )
        if publish.returncode != 0:
            pytest.fail(f"flask core publish failed:\n{publish.stderr[-3000:]}")

        log = tmp_path / f"server-{port}.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(
                _gunicorn_command(),
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)

        scheme = "https" if tls_mode == "direct" else "http"
        server = Server(port, scheme, certs, log, process)
        health = server.caller()

        def answers() -> bool:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{server.log_text()[-3000:]}")
            try:
                return health.get("/health").status_code == 200
            except requests.RequestException:
                return False

        wait_until(answers, START_TIMEOUT_SECONDS, "the server does not answer")
        return server

    yield start

    for process in processes:
        stop_process(process)


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    """Send ``sig`` and wait for the exit; kill the process after 15 s."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(timeout=5)


@dataclass
class Driver:
    """A driver script running in the client virtualenv."""

    process: subprocess.Popen
    output: Path

    def text(self) -> str:
        return self.output.read_text(errors="replace")


@pytest.fixture
def drivers(client_python, tmp_path):
    """Return a function that starts a driver script; stops leftovers at the end."""
    started: list[Driver] = []

    def start(script: str, *args: str) -> Driver:
        output = tmp_path / f"{script}-{len(started)}.log"
        # FLASK_* variables are left out too: with FLASK_RUN_FROM_CLI=true, which
        # a flask command run earlier in this process may have set, the Flask
        # provider's app.run() returns at once without serving.
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("ARROWHEAD_", "PYTHON", "FLASK_"))
        }
        environment["PYTHONUNBUFFERED"] = "1"
        with open(output, "wb") as sink:
            process = subprocess.Popen(
                [str(client_python), str(DRIVERS / f"{script}.py"), *args],
                cwd=DRIVERS,
                env=environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        driver = Driver(process, output)
        started.append(driver)
        return driver

    yield start

    for driver in started:
        stop_process(driver.process, signal.SIGINT)


def run_driver(start, script: str, *args: str) -> tuple[int, str]:
    """Run a driver to its end; return its exit code and output."""
    driver = start(script, *args)
    try:
        code = driver.process.wait(timeout=DRIVER_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        driver.process.kill()
        pytest.fail(f"{script} did not finish:\n{driver.text()[-3000:]}")
    return code, driver.text()
