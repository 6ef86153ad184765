"""Fixtures: an app with a clean, migrated database per test.

The suite runs on SQLite by default and on PostgreSQL when
ARROWHEAD_TEST_DATABASE_URL is set. The schema comes from the Alembic revisions,
applied once per session; each test then starts from a copy (SQLite) or from
truncated tables (PostgreSQL).
"""

import os
import shutil

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text

from arrowhead_lite import create_app
from arrowhead_lite.config import database_url
from arrowhead_lite.extensions import db
from tests import helpers

POSTGRES_URL = os.environ.get("ARROWHEAD_TEST_DATABASE_URL")
if POSTGRES_URL:
    POSTGRES_URL = database_url(POSTGRES_URL)

SEED_INTERFACES = ("HTTP-SECURE-JSON", "HTTP-INSECURE-JSON")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """Keep the developer's ARROWHEAD_* variables out of the tests."""
    for name in list(os.environ):
        if name.startswith("ARROWHEAD_") and name != "ARROWHEAD_TEST_DATABASE_URL":
            monkeypatch.delenv(name)


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"ARROWHEAD_DATABASE_URL": url, "ARROWHEAD_TLS_MODE": "off"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory):
    """Migrate one database per session: a SQLite template file or PostgreSQL."""
    if POSTGRES_URL:
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(POSTGRES_URL)
        return POSTGRES_URL

    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return str(path)


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        connection.execute(
            text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        )
        for name in SEED_INTERFACES:
            connection.execute(
                text(
                    "INSERT INTO service_interface "
                    "(interface_name, created_at, updated_at) "
                    "VALUES (:name, now(), now())"
                ),
                {"name": name},
            )
    engine.dispose()


@pytest.fixture
def database(_template_database, tmp_path):
    """Return the URL of a clean, migrated database for this test."""
    if POSTGRES_URL:
        _reset_postgres(POSTGRES_URL)
        return POSTGRES_URL

    path = tmp_path / "arrowhead.db"
    shutil.copyfile(_template_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_app(database, tmp_path):
    """Return a factory for apps on this test's database, with extra settings."""
    apps = []

    def factory(**settings):
        config = {
            "TESTING": True,
            "ARROWHEAD_DATABASE_URL": database,
            "ARROWHEAD_TLS_MODE": "off",
            "ARROWHEAD_CERTS_DIR": str(tmp_path / "certs"),
            "ARROWHEAD_CLOUD_NAME": helpers.CLOUD_NAME,
            "ARROWHEAD_CLOUD_OPERATOR": helpers.CLOUD_OPERATOR,
        }
        config.update(settings)
        if config["ARROWHEAD_TLS_MODE"] != "off":
            helpers.write_authorization_keys(config["ARROWHEAD_CERTS_DIR"])
        app = create_app(config)
        apps.append(app)
        return app

    yield factory

    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """An app in ``ARROWHEAD_TLS_MODE=off``."""
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def secure_app(make_app):
    """An app in ``direct`` mode; requests name their caller with ``helpers.caller``."""
    return make_app(ARROWHEAD_TLS_MODE="direct")


@pytest.fixture
def secure_client(secure_app):
    return secure_app.test_client()
