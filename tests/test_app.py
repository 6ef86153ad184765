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


def _add_body_route(app):
    from marshmallow import fields

    from arrowhead_lite.payload import load_json
    from arrowhead_lite.schemas import ContractSchema

    class NameSchema(ContractSchema):
        name = fields.String(required=True)

    def echo_body():
        return load_json(NameSchema())

    app.add_url_rule("/test/body", "test_body", echo_body, methods=["POST"])


def test_body_over_limit_is_413(make_app):
    app = make_app(ARROWHEAD_MAX_BODY_BYTES=64)
    _add_body_route(app)

    response = app.test_client().post("/test/body", json={"name": "x" * 100})

    assert response.status_code == 413
    assert response.json["exceptionType"] == "BAD_PAYLOAD"


def test_wrong_content_type_is_415(app):
    _add_body_route(app)

    response = app.test_client().post(
        "/test/body", data="name=x", content_type="text/plain"
    )

    assert response.status_code == 415
    assert response.json["errorCode"] == 415


def test_malformed_and_empty_bodies_are_400(app):
    _add_body_route(app)
    client = app.test_client()

    for raw in ("", "{", "[1, 2]", "null", '{"name": 5}', "{}"):
        response = client.post("/test/body", data=raw, content_type="application/json")
        assert response.status_code == 400, raw
        assert response.json["exceptionType"] == "BAD_PAYLOAD", raw


def test_validation_message_names_field(app):
    _add_body_route(app)

    response = app.test_client().post("/test/body", json={"name": 5})

    assert response.json["errorMessage"] == "name: Not a valid string."


def test_unexpected_error_is_500_without_details(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode():
        raise RuntimeError("secret detail")

    app.add_url_rule("/test/explode", "test_explode", explode)

    response = app.test_client().get("/test/explode")

    assert response.status_code == 500
    assert response.json["exceptionType"] == "ARROWHEAD"
    assert "secret detail" not in response.get_data(as_text=True)
    assert "secret detail" in caplog.text


def test_unreachable_database_is_503(make_app):
    from sqlalchemy import text

    from arrowhead_lite.extensions import db

    app = make_app(
        ARROWHEAD_DATABASE_URL="postgresql://postgres@127.0.0.1:1/none",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}},
    )

    def touch_database():
        db.session.execute(text("SELECT 1"))
        return {}

    app.add_url_rule("/test/db", "test_db", touch_database)

    response = app.test_client().get("/test/db")

    assert response.status_code == 503
    assert response.json["exceptionType"] == "UNAVAILABLE"


def test_instance_file_then_environment(monkeypatch, tmp_path, database):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        'ARROWHEAD_CLOUD_NAME = "fromfile"\nARROWHEAD_CLOUD_OPERATOR = "fileop"\n'
    )
    monkeypatch.setenv("ARROWHEAD_DATABASE_URL", database)
    monkeypatch.setenv("ARROWHEAD_CLOUD_OPERATOR", "envop")

    from flask import Flask

    from arrowhead_lite import config

    settings = Flask(__name__).config
    config.load(settings, str(instance), None)

    assert settings["ARROWHEAD_CLOUD_NAME"] == "fromfile"
    assert settings["ARROWHEAD_CLOUD_OPERATOR"] == "envop"
    assert settings["SERVER_CLOUD_CN"] == "fromfile.envop.arrowhead.eu"


def test_postgres_url_uses_psycopg2():
    from arrowhead_lite.config import database_url

    assert database_url("postgresql://u@h/d") == "postgresql+psycopg2://u@h/d"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("name", "value"),
    (
        ("ARROWHEAD_CLOUD_NAME", "bad_name"),
        ("ARROWHEAD_CLOUD_OPERATOR", "-x"),
        ("ARROWHEAD_LOG_LEVEL", "LOUD"),
        ("ARROWHEAD_BIND", "nowhere"),
        ("ARROWHEAD_TOKEN_LIFETIME_SECONDS", 0),
        ("ARROWHEAD_BLUEPRINTS", ["gatekeeper"]),
        ("ARROWHEAD_PUBLIC_PORT", 70000),
    ),
)
def test_invalid_setting_names_itself(database, name, value):
    with pytest.raises(ConfigError, match=name):
        create_app({"ARROWHEAD_DATABASE_URL": database, name: value})


def test_orchestrator_node_without_authorization_loads_keys(make_app):
    from arrowhead_lite.security import keys

    app = make_app(
        ARROWHEAD_TLS_MODE="direct", ARROWHEAD_BLUEPRINTS=["registry", "orchestrator"]
    )

    assert app.extensions[keys.EXTENSION_KEY] is not None
    assert "authorization" not in app.blueprints


def test_registry_only_node_serves_registry(make_app):
    app = make_app(ARROWHEAD_BLUEPRINTS=["registry"])
    client = app.test_client()

    assert client.get("/serviceregistry/echo").status_code == 200
    assert client.get("/orchestrator/echo").status_code == 404
