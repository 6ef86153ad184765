"""Helpers for the registry tests: row counts, registrations, error checks."""

from sqlalchemy import text

from arrowhead_lite.extensions import db
from tests import helpers

ERROR_KEYS = {"errorMessage", "errorCode", "exceptionType", "origin"}
TABLES = (
    "system_",
    "service_definition",
    "service_interface",
    "service_registry",
    "service_registry_interface_connection",
)
SEED_INTERFACE_COUNT = 2


def row_counts(app) -> dict[str, int]:
    """Return the number of rows of every registry table."""
    with app.app_context():
        counts = {
            table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in TABLES
        }
        db.session.remove()
    return counts


def register(client, definition="temperature", provider="sensor", port=8080, **extra):
    """POST /serviceregistry/register with a NOT_SECURE entry body."""
    body = helpers.entry_body(
        definition, provider, port, interfaces=("HTTP-INSECURE-JSON",)
    )
    body.update(extra)
    return client.post("/serviceregistry/register", json=body)


def assert_error(response, status: int) -> None:
    """Check that ``response`` is an ErrorMessageDTO with ``status``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    assert set(response.json) == ERROR_KEYS
    assert response.json["errorCode"] == status
