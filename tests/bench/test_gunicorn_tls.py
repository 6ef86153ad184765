"""The gunicorn benchmark starts a real server and measures every benchmark."""

import json

import pytest

from benchmarks import gunicorn_tls
from tests.bench.test_run import BENCHMARKS

pytestmark = pytest.mark.e2e


def test_gunicorn_tls_writes_every_benchmark(tmp_path):
    output = tmp_path / "bench.json"

    status = gunicorn_tls.main(
        ["--providers", "2", "--scale", "0.01", "--output", str(output)]
    )

    assert status == 0
    report = json.loads(output.read_text())
    rows = report["runs"][0]["results"]
    assert [row["name"] for row in rows] == BENCHMARKS
    assert all(row["p50_ms"] > 0 for row in rows)
