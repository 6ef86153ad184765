"""Race-safe find-or-create of registry records and the shared record helpers.

Find-or-create of systems, definitions and interfaces inserts with ``ON CONFLICT
DO NOTHING`` and selects again, so concurrent registrations of the same new name
all succeed and create one row.
"""

import logging
from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from ..errors import Duplicate
from ..errors import InvalidParameter
from ..errors import NotFound
from ..extensions import db
from .models import ServiceDefinition
from .models import ServiceInterface
from .models import System
from .validation import normalize_definition
from .validation import normalize_interfaces

logger = logging.getLogger(__name__)


def _insert_ignoring_conflict(model, values: dict, unique_columns: list[str]) -> None:
    """Insert one row unless a row with the same unique columns exists."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(model).values(**values)
    elif dialect == "sqlite":
        statement = sqlite.insert(model).values(**values)
    else:
        _insert_in_savepoint(model, values)
        return

    statement = statement.on_conflict_do_nothing(index_elements=unique_columns)
    db.session.execute(statement)


def _insert_in_savepoint(model, values: dict) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(model(**values))
    except IntegrityError:
        pass


def select_definition(name: str) -> ServiceDefinition | None:
    """Return the stored definition ``name``, or None."""
    statement = select(ServiceDefinition).where(
        ServiceDefinition.service_definition == name
    )
    return db.session.execute(statement).scalar_one_or_none()


def find_or_create_definition(name: str) -> ServiceDefinition:
    """Return the service definition ``name``, creating it if it is new.

    The change is flushed, not committed.

    :param name: the definition as sent, normalised here.
    :raises BadPayload: when the name is blank or invalid.
    """
    name = normalize_definition(name)
    definition = select_definition(name)
    if definition is not None:
        return definition

    _insert_ignoring_conflict(
        ServiceDefinition, {"service_definition": name}, ["service_definition"]
    )
    definition = select_definition(name)
    logger.info("Service definition %r has id %d", name, definition.id)
    return definition


def select_interfaces(interface_names: list[str]) -> dict[str, ServiceInterface]:
    """Return the stored interfaces among ``interface_names`` by name."""
    statement = select(ServiceInterface).where(
        ServiceInterface.interface_name.in_(interface_names)
    )
    rows = db.session.execute(statement).scalars().all()
    return {row.interface_name: row for row in rows}


def find_or_create_interfaces(interface_names: Iterable[str]) -> list[ServiceInterface]:
    """Return the interfaces named, in the given order, creating the new ones.

    The change is flushed, not committed.

    :param interface_names: names as sent, normalised here.
    :raises BadPayload: when the list is empty or a name is invalid.
    """
    requested = normalize_interfaces(interface_names)
    found = select_interfaces(requested)
    missing = sorted(set(requested) - set(found))
    if missing:
        # Sorted inserts keep the lock order equal across concurrent requests.
        for name in missing:
            _insert_ignoring_conflict(
                ServiceInterface, {"interface_name": name}, ["interface_name"]
            )
        found = select_interfaces(requested)
        logger.info("Created interfaces %s", ", ".join(missing))
    return [found[name] for name in requested]


def select_system(name: str, address: str, port: int) -> System | None:
    """Return the stored system with this name, address and port, or None."""
    statement = select(System).where(
        System.system_name == name, System.address == address, System.port == port
    )
    return db.session.execute(statement).scalar_one_or_none()


def find_or_create_system(
    name: str, address: str, address_type: str, port: int
) -> System:
    """Return the system with this name, address and port, creating it if new."""
    system = select_system(name, address, port)
    if system is not None:
        return system

    _insert_ignoring_conflict(
        System,
        {
            "system_name": name,
            "address": address,
            "address_type": address_type,
            "port": port,
        },
        ["system_name", "address", "port"],
    )
    system = select_system(name, address, port)
    logger.info("System %s (%s:%d) has id %d", name, address, port, system.id)
    return system


MAX_ID = 2**31 - 1


def check_id(record_id: int, label: str) -> None:
    """Reject an id below 1, and report an id beyond the integer range as not found."""
    if record_id < 1:
        raise InvalidParameter(f"{label} id must be greater than 0, not {record_id}.")
    if record_id > MAX_ID:
        # Larger ids never exist, and PostgreSQL rejects them as integers.
        raise NotFound(f"{label} with id '{record_id}' does not exist.")


def delete_by_id(model, record_id: int, label: str) -> None:
    """Delete the ``model`` row with id ``record_id`` and commit."""
    check_id(record_id, label)
    result = db.session.execute(delete(model).where(model.id == record_id))
    if result.rowcount == 0:
        db.session.rollback()
        raise NotFound(f"{label} with id '{record_id}' does not exist.")
    db.session.commit()
    logger.info("Removed %s %d", label.lower(), record_id)


def commit_or_duplicate(message: str) -> None:
    """Commit; a unique-constraint violation from a concurrent request is a 400."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Duplicate(message) from None
