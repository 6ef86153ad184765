"""GET /health, the liveness response of the Go arrowhead-lite dialect."""

import time


def test_health_body(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "healthy"
    assert response.json["service"] == "arrowhead-lite"


def test_health_timestamp_is_unix_seconds(client):
    before = int(time.time())
    stamp = client.get("/health").json["timestamp"]
    assert isinstance(stamp, int)
    assert before <= stamp <= int(time.time())


def test_health_is_public_in_secure_mode(secure_client):
    response = secure_client.get("/health")
    assert response.status_code == 200
