"""The app factory, configuration and the shared error body."""

import pytest

from arrowhead_lite import create_app
from arrowhead_lite.config import ConfigError
from tests import helpers

ERROR_KEYS = {"errorMessage", "errorCode", "exceptionType", "origin"}


def test_echo_of_each_system(client):
    for path in ("/serviceregistry/echo", "/authorization/echo", "/orchestrator/echo"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.get_data(as_text=True) == "Got it!"


def test_unknown_route_is_json_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.is_json
    assert set(response.json) == ERROR_KEYS
    assert response.json["origin"] == "/nowhere"


def test_wrong_method_is_json_405(client):
    response = client.delete("/serviceregistry/echo")
    assert response.status_code == 405
    assert response.json["errorCode"] == 405


def test_invalid_tls_mode_stops_start_up(database):
    with pytest.raises(ConfigError, match="ARROWHEAD_TLS_MODE"):
        create_app({"ARROWHEAD_DATABASE_URL": database, "ARROWHEAD_TLS_MODE": "x"})


def test_invalid_environment_value_names_setting(monkeypatch, database):
    monkeypatch.setenv("ARROWHEAD_DATABASE_URL", database)
    monkeypatch.setenv("ARROWHEAD_MAX_BODY_BYTES", "lots")
    with pytest.raises(ConfigError, match="ARROWHEAD_MAX_BODY_BYTES"):
        create_app()


def test_secure_mode_without_certificate_is_401(secure_client):
    response = secure_client.get("/serviceregistry/echo")
    assert response.status_code == 401
    assert response.json["exceptionType"] == "AUTH"


def test_secure_mode_with_certificate_of_this_cloud(secure_client):
    response = secure_client.get(
        "/serviceregistry/echo", environ_overrides=helpers.caller("consumer")
    )
    assert response.status_code == 200


def test_secure_mode_rejects_other_cloud(secure_client):
    response = secure_client.get(
        "/serviceregistry/echo",
        environ_overrides=helpers.caller("consumer.othercloud.aitia.arrowhead.eu"),
    )
    assert response.status_code == 401
