"""The benchmark script runs end to end; its timings are not checked here."""

import contextlib
import io
import json

import pytest

from benchmarks import run

BENCHMARKS = [
    "echo",
    "crypto-1",
    "crypto-many",
    "register",
    "query-1",
    "query-many",
    "orchestration-1",
    "orchestration-many",
]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    """Run the benchmarks once on SQLite with 3 providers; return JSON and table."""
    output = tmp_path_factory.mktemp("bench") / "bench.json"
    printed = io.StringIO()
    # Without the variable only SQLite is measured, so the PostgreSQL test
    # database keeps its schema.
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.delenv("ARROWHEAD_TEST_DATABASE_URL", raising=False)
        with contextlib.redirect_stdout(printed):
            status = run.main(
                ["--providers", "3", "--scale", "0.01", "--output", str(output)]
            )
    assert status == 0
    return json.loads(output.read_text()), printed.getvalue()


def test_run_writes_every_benchmark(bench_run):
    report, _ = bench_run

    assert [item["database"] for item in report["runs"]] == ["sqlite"]
    rows = report["runs"][0]["results"]
    assert [row["name"] for row in rows] == BENCHMARKS
    assert all(row["calls"] == run.ROUNDS for row in rows)


def test_run_counts_statements(bench_run):
    report, _ = bench_run

    rows = {row["name"]: row for row in report["runs"][0]["results"]}
    assert (
        rows["orchestration-1"]["statements"]
        == (rows["orchestration-many"]["statements"])
    )
    assert rows["echo"]["statements"] is None


def test_run_records_machine(bench_run):
    report, _ = bench_run

    assert report["machine"]["cpu_count"] >= 1
    assert report["machine"]["packages"]["flask"]


def test_run_prints_table(bench_run):
    _, printed = bench_run

    assert "orchestration-many" in printed
    assert "x crypto-3" in printed


def test_run_rejects_sqlite_database(capsys):
    status = run.main(["--database", "sqlite:///x.db", "--scale", "0.01"])

    assert status == 2
    assert "PostgreSQL" in capsys.readouterr().err
