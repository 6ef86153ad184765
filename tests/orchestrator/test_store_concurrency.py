"""Concurrent store rule inserts into one priority group."""

import threading
from collections import Counter

from arrowhead_lite.extensions import db
from tests.orchestrator import factories

THREADS = 10


def test_concurrent_inserts_all_stored(app):
    """Every insert into an empty group waits for the others and is stored."""
    with app.app_context():
        consumer_id = factories.system("consumer", 9000).id
        db.session.commit()
    for index in range(THREADS):
        factories.add_provider(app, None, f"provider-{index}", 8000 + index)

    client = app.test_client()
    barrier = threading.Barrier(THREADS)
    statuses = [None] * THREADS

    def worker(index: int) -> None:
        body = [
            factories.store_rule_body(
                consumer_id, f"provider-{index}", 1, port=8000 + index
            )
        ]
        thread_client = app.test_client()
        barrier.wait()
        response = thread_client.post("/orchestrator/mgmt/store", json=body)
        statuses[index] = response.status_code

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    rules = client.get("/orchestrator/mgmt/store").json["data"]
    priorities = sorted(rule["priority"] for rule in rules)
    assert Counter(statuses) == {200: THREADS}, statuses
    assert priorities == list(range(1, THREADS + 1))
