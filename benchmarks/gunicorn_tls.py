"""Latency through a real gunicorn over mutual TLS on loopback.

Run ``python -m benchmarks.gunicorn_tls --output FILE`` from the repository
root. It writes a PKI with ``flask certs init`` and migrates and seeds a SQLite
database as ``benchmarks.run`` does. It then starts gunicorn in ``direct`` TLS
mode on a free 127.0.0.1 port (2 workers with 4 threads each) and sends the same
requests over one keep-alive HTTPS connection per caller. The crypto floor is
measured in this process, in the same interleaved rounds.
"""

import argparse
import datetime
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import requests

from arrowhead_lite import create_app
from tests import helpers
from tests.orchestrator import factories

from . import run

logger = logging.getLogger("benchmarks")

START_TIMEOUT_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 30
CALLERS = (run.CONSUMER, "orchestrator", run.REGISTERING_PROVIDER)


def main(argv: list[str] | None = None) -> int:
    """Start gunicorn, run the benchmarks against it, print and store the results."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gunicorn_tls", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--output", metavar="FILE", help="write JSON results to FILE")
    parser.add_argument(
        "--providers",
        type=int,
        default=100,
        metavar="N",
        help="authorized TOKEN providers in the large orchestration (default 100)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="multiply the number of calls per benchmark (default 1.0)",
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    report = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": run.machine_description(),
        "method": (
            "gunicorn gthread 2 workers x 4 threads, direct TLS mode, one keep-alive "
            f"mTLS connection per caller over loopback, {run.ROUNDS} interleaved "
            f"rounds after {run.WARM_UP_CALLS} warm-up calls each; milliseconds"
        ),
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="arrowhead-bench-tls-") as work_dir:
        result = run_gunicorn(work_dir, arguments)
    report["runs"].append(result)
    report["machine"]["load_average_end"] = list(os.getloadavg())
    run.print_table(result)

    if arguments.output:
        with open(arguments.output, "w", encoding="utf-8") as output:
            json.dump(report, output, indent=2)
            output.write("\n")
    return 0


def run_gunicorn(work_dir: str, arguments) -> dict:
    """Prepare the PKI and database, serve them with gunicorn and measure."""
    certs_dir = os.path.join(work_dir, "certs")
    url = f"sqlite:///{os.path.join(work_dir, 'bench.db')}"
    port = free_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ARROWHEAD_", "GUNICORN_"))
    }
    environment.update(
        ARROWHEAD_CLOUD_NAME=helpers.CLOUD_NAME,
        ARROWHEAD_CLOUD_OPERATOR=helpers.CLOUD_OPERATOR,
        ARROWHEAD_TLS_MODE="direct",
        ARROWHEAD_CERTS_DIR=certs_dir,
        ARROWHEAD_DATABASE_URL=url,
        ARROWHEAD_BIND=f"127.0.0.1:{port}",
        ARROWHEAD_WORKERS="2",
        ARROWHEAD_THREADS="4",
        ARROWHEAD_LOG_LEVEL="WARNING",
    )

    logger.info("Writing the PKI and migrating %s", url)
    # The CLI loads the app, which in direct mode needs the keys being written.
    cli_environment = environment | {"ARROWHEAD_TLS_MODE": "off"}
    flask_command(cli_environment, "certs", "init", "--dir", certs_dir)
    for name in CALLERS:
        flask_command(cli_environment, "certs", "issue", name, "--dir", certs_dir)
    run.migrate(url)
    seed_app = create_app({"ARROWHEAD_DATABASE_URL": url, "ARROWHEAD_TLS_MODE": "off"})
    run.seed(seed_app, arguments.providers)

    log_path = os.path.join(work_dir, "gunicorn.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:arrowhead_lite.gunicorn_conf",
                "wsgi:app",
            ],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"https://127.0.0.1:{port}"
        sessions = {name: session(certs_dir, name) for name in CALLERS}
        wait_for_server(process, sessions[run.CONSUMER], base_url, log_path)
        benchmarks = build_benchmarks(base_url, sessions, arguments)
        run.warm_up(benchmarks)
        run.measure(benchmarks)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)

    return {
        "database": "sqlite via gunicorn over mTLS",
        "providers": arguments.providers,
        "results": run.summarize(benchmarks),
        "profile": None,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask_command(environment: dict, *args: str) -> None:
    """Run a ``flask --app arrowhead_lite`` command.

    :raises RuntimeError: with the command's output when it fails.
    """
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "arrowhead_lite", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
        )


def session(certs_dir: str, name: str) -> requests.Session:
    """Return a keep-alive session that presents ``name``'s client certificate."""
    client = requests.Session()
    client.cert = (
        os.path.join(certs_dir, f"{name}.pem"),
        os.path.join(certs_dir, f"{name}.key"),
    )
    client.verify = os.path.join(certs_dir, "truststore.pem")
    # REQUESTS_CA_BUNDLE and proxy variables would override the truststore.
    client.trust_env = False
    return client


def wait_for_server(process, client, base_url: str, log_path: str) -> None:
    """Wait until the echo endpoint returns 200 through gunicorn.

    :raises RuntimeError: with the gunicorn log when it exits or is not ready in
        ``START_TIMEOUT_SECONDS``.
    """
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            response = client.get(f"{base_url}/serviceregistry/echo", timeout=5)
            if response.status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)

    with open(log_path, encoding="utf-8", errors="replace") as log:
        raise RuntimeError(f"gunicorn did not start:\n{log.read()}")


def build_benchmarks(base_url: str, sessions: dict, arguments) -> list[run.Benchmark]:
    """Return the benchmarks of ``benchmarks.run`` sent over HTTPS."""
    providers = arguments.providers
    register_counter = iter(range(sys.maxsize))
    provider_key = helpers.public_key_base64("bench-register")

    def register_body() -> dict:
        body = helpers.entry_body(
            run.REGISTER_DEFINITION,
            run.REGISTERING_PROVIDER,
            secure="TOKEN",
            serviceUri=f"/bench/{next(register_counter)}",
        )
        body["providerSystem"]["authenticationInfo"] = provider_key
        return body

    def iterations(name: str) -> int:
        return max(run.ROUNDS, round(run.DEFAULT_ITERATIONS[name] * arguments.scale))

    def query(definition: str) -> Callable[[], dict]:
        return lambda: {"serviceDefinitionRequirement": definition}

    def orchestration(definition: str) -> Callable[[], dict]:
        body = factories.form(
            definition, requester_name=run.CONSUMER, port=run.CONSUMER_PORT
        )
        return lambda: body

    consumer = sessions[run.CONSUMER]
    orchestrator = sessions["orchestrator"]
    sensor = sessions[run.REGISTERING_PROVIDER]
    return [
        run.Benchmark(
            "echo",
            "GET /serviceregistry/echo (framework and TLS floor)",
            https_call(consumer, "GET", f"{base_url}/serviceregistry/echo", None, 200),
            iterations("echo"),
            baseline=True,
        ),
        run.Benchmark(
            "crypto-1",
            "issue 1 token directly (crypto floor)",
            run.token_call(["bench-single"]),
            iterations("crypto-1"),
            baseline=True,
            tokens=1,
        ),
        run.Benchmark(
            "crypto-many",
            f"issue {providers} tokens directly (crypto floor)",
            run.token_call([f"bench-{index}" for index in range(providers)]),
            iterations("crypto-many"),
            baseline=True,
            tokens=providers,
        ),
        run.Benchmark(
            "register",
            "POST /serviceregistry/register (new entry each call)",
            https_call(
                sensor,
                "POST",
                f"{base_url}/serviceregistry/register",
                register_body,
                201,
            ),
            iterations("register"),
            goal=run.Goal(p95_ms=15),
        ),
        run.Benchmark(
            "query-1",
            "POST /serviceregistry/query, 1 entry",
            https_call(
                orchestrator,
                "POST",
                f"{base_url}/serviceregistry/query",
                query(run.SINGLE_DEFINITION),
                200,
            ),
            iterations("query-1"),
            goal=run.Goal(p95_ms=15),
        ),
        run.Benchmark(
            "query-many",
            f"POST /serviceregistry/query, {providers} entries",
            https_call(
                orchestrator,
                "POST",
                f"{base_url}/serviceregistry/query",
                query(run.MANY_DEFINITION),
                200,
            ),
            iterations("query-many"),
        ),
        run.Benchmark(
            "orchestration-1",
            "POST /orchestrator/orchestration, 1 TOKEN provider",
            https_call(
                consumer,
                "POST",
                f"{base_url}/orchestrator/orchestration",
                orchestration(run.SINGLE_DEFINITION),
                200,
            ),
            iterations("orchestration-1"),
            goal=run.Goal(p95_ms=20),
            tokens=1,
        ),
        run.Benchmark(
            "orchestration-many",
            f"POST /orchestrator/orchestration, {providers} TOKEN providers",
            https_call(
                consumer,
                "POST",
                f"{base_url}/orchestrator/orchestration",
                orchestration(run.MANY_DEFINITION),
                200,
            ),
            iterations("orchestration-many"),
            goal=run.Goal(p50_ms=75, p95_ms=150) if providers == 100 else None,
            tokens=providers,
        ),
    ]


def https_call(
    client: requests.Session,
    method: str,
    url: str,
    body: Callable[[], dict] | None,
    status: int,
) -> Callable[[], None]:
    """Return a call that sends one request and checks its status code."""

    def call() -> None:
        response = client.request(
            method,
            url,
            json=body() if body is not None else None,
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        if response.status_code != status:
            raise RuntimeError(
                f"{method} {url} returned {response.status_code}, expected {status}: "
                f"{response.text[:500]}"
            )

    return call


if __name__ == "__main__":
    sys.exit(main())
