"""Systems of the Service Registry: lookup, create, update and delete."""

import logging

from sqlalchemy import delete
from sqlalchemy import select

from ..errors import BadPayload
from ..errors import Duplicate
from ..errors import NotFound
from ..extensions import db
from ..paging import PageRequest
from ..paging import paginate
from .models import System
from .records import check_id
from .records import commit_or_duplicate
from .records import select_system
from .validation import normalize_system_address
from .validation import normalize_system_name

logger = logging.getLogger(__name__)

SYSTEM_SORT_COLUMNS = {
    "id": System.id,
    "createdAt": System.created_at,
    "updatedAt": System.updated_at,
    "systemName": System.system_name,
    "address": System.address,
    "port": System.port,
}


def find_system(name: str, address: str, port: int) -> System | None:
    """Return the system with this name, address and port, or None.

    :param name: the name as sent, normalised here like ``address``.
    :raises BadPayload: when the name or the address is invalid.
    """
    name = normalize_system_name(name)
    address, _ = normalize_system_address(address)
    return select_system(name, address, port)


def get_system(system_id: int) -> System:
    """Return the system with id ``system_id``.

    :raises InvalidParameter: when the id is below 1.
    :raises NotFound: when no such system exists.
    """
    check_id(system_id, "System")
    system = db.session.get(System, system_id)
    if system is None:
        raise NotFound(f"System with id {system_id} not found.")
    return system


def list_systems(page_request: PageRequest) -> tuple[list[System], int]:
    """Return one page of systems and the total count."""
    return paginate(select(System), page_request, SYSTEM_SORT_COLUMNS)


def _duplicate_system_message(name: str, address: str, port: int) -> str:
    return f"System with name: {name}, address: {address}, port: {port} already exists."


def create_system(data: dict, *, reject_reserved: bool = True) -> System:
    """Create a system from a loaded SystemRequestDTO and commit.

    :param reject_reserved: reject core system names, as register-system does.
    :raises Duplicate: when the name, address and port are taken.
    """
    name = normalize_system_name(data["system_name"], reject_reserved=reject_reserved)
    address, address_type = normalize_system_address(data["address"])
    port = data["port"]
    if select_system(name, address, port) is not None:
        raise Duplicate(_duplicate_system_message(name, address, port))

    system = System(
        system_name=name,
        address=address,
        address_type=address_type,
        port=port,
        authentication_info=data.get("authentication_info"),
        metadata_=data.get("metadata"),
    )
    db.session.add(system)
    commit_or_duplicate(_duplicate_system_message(name, address, port))
    logger.info("Registered system %d %s (%s:%d)", system.id, name, address, port)
    return system


def update_system(system_id: int, data: dict, *, partial: bool) -> System:
    """Replace (PUT) or merge (PATCH) a system's fields and commit.

    With ``partial`` only the given fields change. Otherwise ``authenticationInfo``
    and ``metadata`` are replaced, even by null.

    :raises BadPayload: for an empty PATCH.
    :raises NotFound: when no such system exists.
    :raises Duplicate: when the new name, address and port are taken.
    """
    if partial and not data:
        raise BadPayload("Patch request is empty. Give at least one field.")

    system = get_system(system_id)
    name = system.system_name
    address, address_type = system.address, system.address_type
    port = system.port
    if "system_name" in data:
        name = normalize_system_name(data["system_name"], reject_reserved=True)
    if "address" in data:
        address, address_type = normalize_system_address(data["address"])
    if "port" in data:
        port = data["port"]

    if (name, address, port) != (system.system_name, system.address, system.port):
        if select_system(name, address, port) is not None:
            raise Duplicate(_duplicate_system_message(name, address, port))

    system.system_name = name
    system.address = address
    system.address_type = address_type
    system.port = port
    if not partial or "authentication_info" in data:
        system.authentication_info = data.get("authentication_info")
    if not partial or "metadata" in data:
        system.metadata_ = data.get("metadata")

    commit_or_duplicate(_duplicate_system_message(name, address, port))
    logger.info("Updated system %d %s (%s:%d)", system.id, name, address, port)
    return system


def delete_system(system_id: int) -> None:
    """Delete a system and commit, cascading to its entries and rules.

    Orchestrator store rules that name the system as provider stay.

    :raises NotFound: when no such system exists.
    """
    check_id(system_id, "System")
    result = db.session.execute(delete(System).where(System.id == system_id))
    if result.rowcount == 0:
        db.session.rollback()
        raise NotFound(
            f"Could not delete System, with given parameters: id {system_id} "
            "does not exist."
        )
    db.session.commit()
    logger.info("Removed system %d", system_id)


def unregister_system(name: str, address: str, port: int) -> None:
    """Delete the system named by name, address and port, and commit.

    :raises NotFound: when no such system exists.
    """
    system = find_system(name, address, port)
    if system is None:
        raise NotFound(f"System not exists: {name} {address} {port}")
    delete_system(system.id)
