"""Fixtures: an app with a clean, migrated database per test.

The suite runs on SQLite by default and on PostgreSQL when
ARROWHEAD_TEST_DATABASE_URL is set. The schema comes from the Alembic revisions,
applied once per session. Each test then starts from a copy (SQLite) or from
emptied tables with restarted sequences (PostgreSQL).
"""

import os
import shutil

import pytest
from sqlalchemy import MetaData
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


class _PostgresReset:
    """Empty every table and restart every sequence, over one kept connection pool.

    Rows are deleted children first, in the foreign-key order read from the
    migrated schema once per session, and the seed interfaces are inserted
    again, all in one transaction sent as one round trip. On tables of a few
    rows this is much faster than ``TRUNCATE ... RESTART IDENTITY``, which
    replaces the files of every table.
    """

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        metadata = MetaData()
        metadata.reflect(self.engine)
        quote = self.engine.dialect.identifier_preparer.quote
        tables = [
            quote(table.name)
            for table in reversed(metadata.sorted_tables)
            if table.name != "alembic_version"
        ]
        with self.engine.connect() as connection:
            sequences = connection.execute(
                text(
                    "SELECT c.oid::regclass::text FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind = 'S' AND n.nspname = 'public' ORDER BY 1"
                )
            ).scalars()
            restarts = ", ".join(f"setval('{name}', 1, false)" for name in sequences)

        seeds = ", ".join(f"('{name}', now(), now())" for name in SEED_INTERFACES)
        statements = [f"DELETE FROM {name}" for name in tables]
        if restarts:
            statements.append(f"SELECT {restarts}")
        statements.append(
            "INSERT INTO service_interface (interface_name, created_at, updated_at) "
            f"VALUES {seeds}"
        )
        self.script = text(";\n".join(statements))

    def __call__(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(self.script)

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture(scope="session")
def _postgres_reset(_template_database):
    """Return the reset of the PostgreSQL test database, or None on SQLite."""
    if not POSTGRES_URL:
        yield None
        return

    reset = _PostgresReset(POSTGRES_URL)
    yield reset
    reset.close()


@pytest.fixture
def database(_template_database, _postgres_reset, tmp_path):
    """Return the URL of a clean, migrated database for this test."""
    if _postgres_reset is not None:
        _postgres_reset()
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
