"""Concurrent registrations against one file or PostgreSQL database."""

import threading
from collections import Counter

from tests import helpers
from tests.registry.support import SEED_INTERFACE_COUNT
from tests.registry.support import row_counts

THREADS = 20


def _post_concurrently(app, path: str, bodies: list[dict]) -> list:
    """POST each body from its own thread and test client, all at once."""
    barrier = threading.Barrier(len(bodies))
    responses = [None] * len(bodies)

    def worker(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(path, json=bodies[index])
        responses[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


def test_new_definition_from_many_providers(app):
    bodies = [
        helpers.entry_body(
            "brand-new-service",
            f"provider{i}",
            port=9000 + i,
            interfaces=("MQTT-INSECURE-JSON",),
        )
        for i in range(THREADS)
    ]
    responses = _post_concurrently(app, "/serviceregistry/register", bodies)
    statuses = Counter(status for status, _ in responses)
    assert statuses == {201: THREADS}, responses

    counts = row_counts(app)
    assert counts["service_definition"] == 1
    assert counts["service_interface"] == SEED_INTERFACE_COUNT + 1
    assert counts["service_registry"] == THREADS
    assert counts["system_"] == THREADS


def test_identical_registrations_one_wins(app):
    body = helpers.entry_body(
        "brand-new-service", "provider", interfaces=("MQTT-INSECURE-JSON",)
    )
    responses = _post_concurrently(app, "/serviceregistry/register", [body] * THREADS)
    statuses = Counter(status for status, _ in responses)
    assert statuses == {201: 1, 400: THREADS - 1}, responses

    for status, error in responses:
        if status == 400:
            assert "already exists" in error["errorMessage"]

    counts = row_counts(app)
    assert counts["service_registry"] == 1
    assert counts["system_"] == 1
    assert counts["service_definition"] == 1


def test_identical_systems_one_wins(app):
    body = helpers.system_body("consumer")
    responses = _post_concurrently(app, "/serviceregistry/mgmt/systems", [body] * 10)
    statuses = Counter(status for status, _ in responses)
    assert statuses == {201: 1, 400: 9}, responses
    assert row_counts(app)["system_"] == 1
