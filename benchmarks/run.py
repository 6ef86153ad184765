"""Latency benchmarks of the registry and orchestration endpoints.

Run ``make bench``, or ``python -m benchmarks.run --output FILE`` from the
repository root. One run migrates a fresh SQLite database (and a PostgreSQL
database when ``--database`` or ``ARROWHEAD_TEST_DATABASE_URL`` names one),
seeds it and calls the endpoints in process through the Flask test client. The
app runs in ``direct`` TLS mode and every request carries a caller certificate
in ``gunicorn.socket``, as ``tests.helpers.caller`` builds it, so identity
checks, access control and token issuing all run. No socket, TLS handshake or
HTTP parsing is measured.

Two baselines are measured in the same run: ``GET /serviceregistry/echo``
through the same client (the framework floor) and issuing tokens by calling
``arrowhead_lite.security.tokens`` directly (the crypto floor). All benchmarks
run in interleaved rounds, so load from other processes on the machine falls
on the measurements and their baselines alike.
"""

import argparse
import cProfile
import datetime
import importlib.metadata
import io
import json
import logging
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import make_url
from sqlalchemy import text

from arrowhead_lite import create_app
from arrowhead_lite.config import database_url
from arrowhead_lite.extensions import db
from arrowhead_lite.security import tokens
from tests import helpers
from tests.orchestrator import factories

logger = logging.getLogger("benchmarks")

SINGLE_DEFINITION = "bench-single"
MANY_DEFINITION = "bench-many"
REGISTER_DEFINITION = "bench-register"
INTERFACE = "HTTP-SECURE-JSON"
CONSUMER = "consumer"
CONSUMER_PORT = 9000
REGISTERING_PROVIDER = "sensor"
TOKEN_LIFETIME_SECONDS = 3600

# Requests (or crypto floor calls) per benchmark before --scale.
DEFAULT_ITERATIONS = {
    "echo": 500,
    "crypto-1": 300,
    "crypto-many": 100,
    "register": 300,
    "query-1": 300,
    "query-many": 200,
    "orchestration-1": 300,
    "orchestration-many": 100,
}
WARM_UP_CALLS = 5
ROUNDS = 10
PACKAGES = (
    "flask",
    "werkzeug",
    "sqlalchemy",
    "marshmallow",
    "python-jose",
    "cryptography",
    "psycopg2-binary",
)


@dataclass(frozen=True)
class Goal:
    """Latency limits in milliseconds; None means no limit on that percentile."""

    p50_ms: float | None = None
    p95_ms: float | None = None

    def describe(self) -> str:
        parts = []
        if self.p50_ms is not None:
            parts.append(f"p50<={self.p50_ms:g}")
        if self.p95_ms is not None:
            parts.append(f"p95<={self.p95_ms:g}")
        return " ".join(parts) or "-"

    def met(self, p50_ms: float, p95_ms: float) -> bool:
        return (self.p50_ms is None or p50_ms <= self.p50_ms) and (
            self.p95_ms is None or p95_ms <= self.p95_ms
        )


@dataclass
class Benchmark:
    """One timed operation, its goal and the samples of one run."""

    name: str
    description: str
    call: Callable[[], None]
    iterations: int
    goal: Goal | None = None
    baseline: bool = False
    tokens: int = 0
    samples_ms: list[float] = field(default_factory=list)
    statements: int | None = None


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark on each database and print and store the results."""
    arguments = parse_arguments(argv)
    if not logger.handlers:
        progress = logging.StreamHandler(sys.stderr)
        progress.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(progress)
        logger.setLevel(logging.INFO)
        logger.propagate = False

    databases = [("sqlite", None)]
    postgres_url = arguments.database or os.environ.get("ARROWHEAD_TEST_DATABASE_URL")
    if postgres_url:
        if make_url(database_url(postgres_url)).get_backend_name() != "postgresql":
            print(
                f"--database must be a PostgreSQL URL, not {postgres_url}",
                file=sys.stderr,
            )
            return 2
        databases.append(("postgresql", database_url(postgres_url)))

    report = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "method": (
            "in-process Flask test client, direct TLS mode with a caller "
            f"certificate, {ROUNDS} interleaved rounds after {WARM_UP_CALLS} "
            "warm-up calls each; milliseconds"
        ),
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="arrowhead-bench-") as work_dir:
        # The app logs one line per request at INFO, as in production; the
        # lines go to a file so that their cost is measured but not shown.
        logging.basicConfig(
            filename=os.path.join(work_dir, "requests.log"), level=logging.INFO
        )
        for kind, url in databases:
            logger.info("Benchmarking on %s", kind)
            run = run_database(kind, url, work_dir, arguments)
            report["runs"].append(run)
            print_table(run)
    report["machine"]["load_average_end"] = list(os.getloadavg())

    if arguments.output:
        with open(arguments.output, "w", encoding="utf-8") as output:
            json.dump(report, output, indent=2)
            output.write("\n")
        logger.info("Wrote %s", arguments.output)
    return 0


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--output", metavar="FILE", help="write the results as JSON to FILE"
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help=(
            "also benchmark this PostgreSQL database (default: "
            "ARROWHEAD_TEST_DATABASE_URL); its public schema is dropped"
        ),
    )
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
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="profile N large orchestrations with cProfile and print the top functions",
    )
    arguments = parser.parse_args(argv)
    if arguments.providers < 1:
        parser.error("--providers must be 1 or more")
    if arguments.scale <= 0:
        parser.error("--scale must be positive")
    return arguments


def machine_description() -> dict:
    """Return the CPU, Python and package versions the numbers depend on."""
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "load_average_start": list(os.getloadavg()),
    }


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_database(kind: str, url: str | None, work_dir: str, arguments) -> dict:
    """Migrate, seed and benchmark one database; return its results."""
    if url is None:
        url = f"sqlite:///{os.path.join(work_dir, 'bench.db')}"
    else:
        drop_public_schema(url)
    certs_dir = os.path.join(work_dir, f"certs-{kind}")
    helpers.write_authorization_keys(certs_dir)
    migrate(url)

    app = create_app(
        {
            "ARROWHEAD_DATABASE_URL": url,
            "ARROWHEAD_TLS_MODE": "direct",
            "ARROWHEAD_CERTS_DIR": certs_dir,
            "ARROWHEAD_CLOUD_NAME": helpers.CLOUD_NAME,
            "ARROWHEAD_CLOUD_OPERATOR": helpers.CLOUD_OPERATOR,
            "ARROWHEAD_TOKEN_LIFETIME_SECONDS": TOKEN_LIFETIME_SECONDS,
        }
    )
    seed(app, arguments.providers)
    benchmarks = build_benchmarks(app, arguments)

    with app.app_context():
        engine = db.engine
    warm_up(benchmarks)
    for benchmark in benchmarks:
        if not benchmark.baseline:
            benchmark.statements = count_statements(engine, benchmark.call)

    measure(benchmarks)

    profile_text = None
    if arguments.profile:
        large = next(b for b in benchmarks if b.name == "orchestration-many")
        profile_text = profile(large.call, arguments.profile)
        print(profile_text)

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return {
        "database": kind,
        "providers": arguments.providers,
        "results": summarize(benchmarks),
        "profile": profile_text,
    }


def drop_public_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def migrate(url: str) -> None:
    """Apply the Alembic revisions to the database at ``url``."""
    from flask_migrate import upgrade

    app = create_app({"ARROWHEAD_DATABASE_URL": url, "ARROWHEAD_TLS_MODE": "off"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def seed(app, provider_count: int) -> None:
    """Commit a consumer, one single-provider service and a many-provider one.

    Every provider has its own RSA key, an entry with ``secure`` TOKEN on one
    interface and an authorization rule for the consumer.
    """
    logger.info("Seeding %d providers (one RSA key each)", provider_count + 1)
    with app.app_context():
        consumer = factories.system(CONSUMER, CONSUMER_PORT)
        provider = factories.system("single-provider", 10000, key="bench-single")
        factories.entry(provider, SINGLE_DEFINITION, secure="TOKEN")
        factories.rule(consumer, provider, SINGLE_DEFINITION)

        for index in range(provider_count):
            provider = factories.system(
                f"provider-{index}", 20000 + index, key=f"bench-{index}"
            )
            factories.entry(provider, MANY_DEFINITION, secure="TOKEN")
            factories.rule(consumer, provider, MANY_DEFINITION)
        db.session.commit()


def build_benchmarks(app, arguments) -> list[Benchmark]:
    """Return the benchmarks with their calls bound to ``app``'s test client."""
    client = app.test_client()
    providers = arguments.providers
    many = f"{providers} provider{'s' if providers > 1 else ''}"

    def iterations(name: str) -> int:
        return max(ROUNDS, round(DEFAULT_ITERATIONS[name] * arguments.scale))

    return [
        Benchmark(
            "echo",
            "GET /serviceregistry/echo (framework floor)",
            http_call(client, "GET", "/serviceregistry/echo", CONSUMER, None, 200),
            iterations("echo"),
            baseline=True,
        ),
        Benchmark(
            "crypto-1",
            "issue 1 token directly (crypto floor)",
            token_call(["bench-single"]),
            iterations("crypto-1"),
            baseline=True,
            tokens=1,
        ),
        Benchmark(
            "crypto-many",
            f"issue {providers} tokens directly (crypto floor)",
            token_call([f"bench-{index}" for index in range(providers)]),
            iterations("crypto-many"),
            baseline=True,
            tokens=providers,
        ),
        Benchmark(
            "register",
            "POST /serviceregistry/register (new entry each call)",
            register_call(client),
            iterations("register"),
            goal=Goal(p95_ms=15),
        ),
        Benchmark(
            "query-1",
            "POST /serviceregistry/query, 1 entry",
            query_call(client, SINGLE_DEFINITION),
            iterations("query-1"),
            goal=Goal(p95_ms=15),
        ),
        Benchmark(
            "query-many",
            f"POST /serviceregistry/query, {providers} entries",
            query_call(client, MANY_DEFINITION),
            iterations("query-many"),
        ),
        Benchmark(
            "orchestration-1",
            "POST /orchestrator/orchestration, 1 TOKEN provider",
            orchestration_call(client, SINGLE_DEFINITION, 1),
            iterations("orchestration-1"),
            goal=Goal(p95_ms=20),
            tokens=1,
        ),
        Benchmark(
            "orchestration-many",
            f"POST /orchestrator/orchestration, {many}",
            orchestration_call(client, MANY_DEFINITION, providers),
            iterations("orchestration-many"),
            goal=Goal(p50_ms=75, p95_ms=150) if providers == 100 else None,
            tokens=providers,
        ),
    ]


def http_call(client, method: str, path: str, caller: str, body, status: int):
    """Return a call that sends one request and checks its status code."""
    environ = helpers.caller(caller)

    def call() -> None:
        response = client.open(
            path, method=method, json=body, environ_overrides=environ
        )
        if response.status_code != status:
            raise RuntimeError(
                f"{method} {path} returned {response.status_code}, expected "
                f"{status}: {response.get_data(as_text=True)[:500]}"
            )

    return call


def register_call(client) -> Callable[[], None]:
    """Return a call that registers a new entry of one provider per call."""
    environ = helpers.caller(REGISTERING_PROVIDER)
    counter = iter(range(sys.maxsize))
    provider_key = helpers.public_key_base64("bench-register")

    def call() -> None:
        body = helpers.entry_body(
            REGISTER_DEFINITION,
            REGISTERING_PROVIDER,
            secure="TOKEN",
            serviceUri=f"/bench/{next(counter)}",
        )
        body["providerSystem"]["authenticationInfo"] = provider_key
        response = client.post(
            "/serviceregistry/register", json=body, environ_overrides=environ
        )
        if response.status_code != 201:
            raise RuntimeError(
                f"register returned {response.status_code}: "
                f"{response.get_data(as_text=True)[:500]}"
            )

    return call


def query_call(client, definition: str) -> Callable[[], None]:
    body = {"serviceDefinitionRequirement": definition}
    return http_call(
        client, "POST", "/serviceregistry/query", "orchestrator", body, 200
    )


def orchestration_call(client, definition: str, expected: int) -> Callable[[], None]:
    """Return a call that orchestrates and checks every result carries a token."""
    environ = helpers.caller(CONSUMER)
    body = factories.form(definition, requester_name=CONSUMER, port=CONSUMER_PORT)

    def call() -> None:
        response = client.post(
            "/orchestrator/orchestration", json=body, environ_overrides=environ
        )
        if response.status_code != 200:
            raise RuntimeError(
                f"orchestration returned {response.status_code}: "
                f"{response.get_data(as_text=True)[:500]}"
            )
        results = response.json["response"]
        with_tokens = [r for r in results if r["authorizationTokens"].get(INTERFACE)]
        if len(with_tokens) != expected:
            raise RuntimeError(
                f"orchestration returned {len(with_tokens)} results with a token, "
                f"expected {expected}"
            )

    return call


def token_call(key_names: list[str]) -> Callable[[], None]:
    """Return a call that issues one token per provider key, as the app does."""
    signing_key = helpers.rsa_key("authorization")
    provider_keys = [helpers.rsa_key(name).public_key() for name in key_names]
    consumer_id = f"{CONSUMER}.{helpers.CLOUD_NAME}.{helpers.CLOUD_OPERATOR}"

    def call() -> None:
        for provider_key in provider_keys:
            claims = tokens.build_claims(
                consumer_id, MANY_DEFINITION, INTERFACE, TOKEN_LIFETIME_SECONDS
            )
            tokens.issue_token(claims, signing_key, provider_key)

    return call


def count_statements(engine, call: Callable[[], None]) -> int:
    """Return the SQL statements one call executes."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def warm_up(benchmarks: list[Benchmark]) -> None:
    """Call each benchmark a few times, so that caches and pools are filled.

    The first registration also creates the provider and the service definition,
    so statements are counted only after this.
    """
    for benchmark in benchmarks:
        for _ in range(WARM_UP_CALLS):
            benchmark.call()


def measure(benchmarks: list[Benchmark]) -> None:
    """Time every benchmark in ``ROUNDS`` interleaved rounds."""
    for round_index in range(ROUNDS):
        for benchmark in benchmarks:
            calls = benchmark.iterations // ROUNDS
            if round_index < benchmark.iterations % ROUNDS:
                calls += 1
            for _ in range(calls):
                started = time.perf_counter()
                benchmark.call()
                benchmark.samples_ms.append((time.perf_counter() - started) * 1000)


def profile(call: Callable[[], None], count: int) -> str:
    """Profile ``count`` calls and return the top functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        call()
    profiler.disable()

    output = io.StringIO()
    stats = pstats.Stats(profiler, stream=output).strip_dirs()
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    return output.getvalue()


def percentile(samples: list[float], percent: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]


def summarize(benchmarks: list[Benchmark]) -> list[dict]:
    """Return percentiles, goals and ratios to the baselines of each benchmark."""
    by_name = {benchmark.name: benchmark for benchmark in benchmarks}
    echo_p50 = statistics.median(by_name["echo"].samples_ms)
    crypto_p50 = {
        by_name[name].tokens: statistics.median(by_name[name].samples_ms)
        for name in ("crypto-1", "crypto-many")
    }
    crypto_many_p50 = crypto_p50[by_name["crypto-many"].tokens]

    rows = []
    for benchmark in benchmarks:
        samples = benchmark.samples_ms
        p50 = statistics.median(samples)
        p95 = percentile(samples, 95)
        floor = echo_p50 + crypto_p50.get(benchmark.tokens, 0.0)
        rows.append(
            {
                "name": benchmark.name,
                "description": benchmark.description,
                "calls": len(samples),
                "baseline": benchmark.baseline,
                "statements": benchmark.statements,
                "tokens": benchmark.tokens,
                "p50_ms": round(p50, 3),
                "p95_ms": round(p95, 3),
                "mean_ms": round(statistics.fmean(samples), 3),
                "max_ms": round(max(samples), 3),
                "goal": benchmark.goal.describe() if benchmark.goal else None,
                "goal_met": benchmark.goal.met(p50, p95) if benchmark.goal else None,
                "p50_over_echo": round(p50 / echo_p50, 2),
                "p50_over_crypto_many": round(p50 / crypto_many_p50, 3),
                "overhead_ms": None if benchmark.baseline else round(p50 - floor, 3),
            }
        )
    return rows


def print_table(run: dict) -> None:
    """Print one database's results as a fixed-width table."""
    crypto_many = f"x crypto-{run['providers']}"
    header = (
        f"{'benchmark':<20} {'calls':>5} {'stmts':>5} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'goal':<18} {'met':<4} {'x echo':>7} {crypto_many:>12} {'overhead':>9}"
    )
    print()
    print(f"== {run['database']}")
    print(header)
    print("-" * len(header))
    for row in run["results"]:
        met = {True: "yes", False: "NO", None: "-"}[row["goal_met"]]
        statements = "-" if row["statements"] is None else row["statements"]
        overhead = "-" if row["overhead_ms"] is None else f"{row['overhead_ms']:.2f}"
        print(
            f"{row['name']:<20} {row['calls']:>5} {statements:>5} "
            f"{row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {row['goal'] or '-':<18} "
            f"{met:<4} {row['p50_over_echo']:>7.1f} "
            f"{row['p50_over_crypto_many']:>12.3f} {overhead:>9}"
        )
    print(
        "overhead = p50 - (echo p50 + crypto floor p50 for the same token count); "
        "stmts = SQL statements per call"
    )


if __name__ == "__main__":
    sys.exit(main())
