"""Service Registry entries: register, query, change, unregister and purge."""

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import select

from ..errors import BadPayload
from ..errors import Duplicate
from ..errors import InvalidParameter
from ..errors import NotFound
from ..extensions import db
from ..paging import PageRequest
from ..paging import paginate
from .models import ServiceDefinition
from .models import ServiceInterface
from .models import ServiceRegistryEntry
from .models import System
from .records import check_id
from .records import commit_or_duplicate
from .records import delete_by_id
from .records import find_or_create_definition
from .records import find_or_create_interfaces
from .records import find_or_create_system
from .records import select_definition
from .records import select_system
from .systems import get_system
from .validation import check_security
from .validation import normalize_definition
from .validation import normalize_interfaces
from .validation import normalize_security_type
from .validation import normalize_system_address
from .validation import normalize_system_name

logger = logging.getLogger(__name__)

DEFAULT_VERSION = 1

ENTRY_SORT_COLUMNS = {
    "id": ServiceRegistryEntry.id,
    "createdAt": ServiceRegistryEntry.created_at,
    "updatedAt": ServiceRegistryEntry.updated_at,
}


def get_entry(entry_id: int) -> ServiceRegistryEntry:
    """Return the entry with id ``entry_id``.

    :raises NotFound: when no such entry exists.
    """
    check_id(entry_id, "Service Registry entry")
    entry = db.session.get(ServiceRegistryEntry, entry_id)
    if entry is None:
        raise NotFound(f"Service Registry entry with id '{entry_id}' does not exist")
    return entry


def list_entries(
    page_request: PageRequest, *, definition: str | None = None
) -> tuple[list[ServiceRegistryEntry], int]:
    """Return one page of entries, optionally of one definition, and the count.

    :raises NotFound: when ``definition`` is given and unknown.
    """
    statement = select(ServiceRegistryEntry)
    if definition is not None:
        name = definition.strip().lower()
        found = select_definition(name)
        if found is None:
            raise NotFound(f"Service definition with name of '{name}' not exists.")
        statement = statement.where(ServiceRegistryEntry.service_id == found.id)
    return paginate(statement, page_request, ENTRY_SORT_COLUMNS)


def entries_of_provider(system_id: int) -> list[ServiceRegistryEntry]:
    """Return every entry the system provides, in id order.

    :raises NotFound: when no such system exists.
    """
    get_system(system_id)
    statement = (
        select(ServiceRegistryEntry)
        .where(ServiceRegistryEntry.system_id == system_id)
        .order_by(ServiceRegistryEntry.id)
    )
    return list(db.session.execute(statement).unique().scalars().all())


def entries_of_definitions(definitions: Iterable[str]) -> list[ServiceRegistryEntry]:
    """Return the entries of the named definitions, skipping unknown names."""
    requested = {name.strip().lower() for name in definitions if isinstance(name, str)}
    statement = (
        select(ServiceRegistryEntry)
        .join(ServiceRegistryEntry.service_definition)
        .where(ServiceDefinition.service_definition.in_(requested))
        .order_by(ServiceRegistryEntry.id)
    )
    return list(db.session.execute(statement).unique().scalars().all())


def all_entries() -> list[ServiceRegistryEntry]:
    """Return every entry in id order."""
    statement = select(ServiceRegistryEntry).order_by(ServiceRegistryEntry.id)
    return list(db.session.execute(statement).unique().scalars().all())


def _entry_exists(
    definition: str,
    system_key: tuple[str, str, int],
    service_uri: str,
    exclude_id: int | None = None,
) -> bool:
    name, address, port = system_key
    statement = (
        select(ServiceRegistryEntry.id)
        .join(
            ServiceDefinition, ServiceRegistryEntry.service_id == ServiceDefinition.id
        )
        .join(System, ServiceRegistryEntry.system_id == System.id)
        .where(
            ServiceDefinition.service_definition == definition,
            System.system_name == name,
            System.address == address,
            System.port == port,
            ServiceRegistryEntry.service_uri == service_uri,
        )
    )
    if exclude_id is not None:
        statement = statement.where(ServiceRegistryEntry.id != exclude_id)
    return db.session.execute(statement.limit(1)).first() is not None


def _duplicate_entry_message(
    definition: str, system_key: tuple[str, str, int], service_uri: str
) -> str:
    name, address, port = system_key
    return (
        f"Service Registry entry with provider: ({name}, {address}:{port}), "
        f"service definition: {definition} and service URI: {service_uri} "
        "already exists."
    )


def register_entry(
    data: dict, *, reject_reserved_system_names: bool = False
) -> ServiceRegistryEntry:
    """Register a service from a loaded ServiceRegistryRequestDTO and commit.

    The provider system is found or created. An existing provider gets the
    request's ``authenticationInfo`` and ``metadata``, even null ones, as in the
    reference. A duplicate changes nothing.

    :param data: ``EntryRequestSchema`` output: ``service_definition``,
        ``provider_system`` (``system_name``, ``address``, ``port``,
        ``authentication_info``, ``metadata``), ``interfaces`` and the optional
        ``service_uri``, ``end_of_validity``, ``secure``, ``metadata``, ``version``.
    :param reject_reserved_system_names: reject core system names as providers,
        as the /mgmt endpoints do.
    :raises BadPayload: for an invalid field.
    :raises InvalidParameter: for a secure service in ``ARROWHEAD_TLS_MODE=off``.
    :raises Duplicate: when the definition, provider and URI are registered.
    """
    entry = ServiceRegistryEntry()
    _store_entry(entry, data, reject_reserved_system_names=reject_reserved_system_names)
    logger.info(
        "Registered entry %d: %s by system %d at %r",
        entry.id,
        entry.service_definition.service_definition,
        entry.system_id,
        entry.service_uri,
    )
    return entry


def replace_entry(entry_id: int, data: dict) -> ServiceRegistryEntry:
    """Replace every field of an entry (PUT) and commit.

    :raises NotFound: when no such entry exists.
    :raises Duplicate: when another entry has the new definition, provider and URI.
    """
    entry = get_entry(entry_id)
    _store_entry(entry, data, reject_reserved_system_names=True)
    logger.info("Replaced entry %d", entry.id)
    return entry


def patch_entry(entry_id: int, data: dict) -> ServiceRegistryEntry:
    """Change the given fields of an entry (PATCH) and commit.

    Null and missing fields keep their value. So a PATCH without
    ``secure`` keeps the security type, where the reference resets it to
    NOT_SECURE.

    :raises BadPayload: when no field is given.
    :raises NotFound: when no such entry exists.
    :raises Duplicate: when another entry has the new definition, provider and URI.
    """
    changes = {key: value for key, value in data.items() if value is not None}
    if not changes:
        raise BadPayload("Patch request is empty. Give at least one field.")

    entry = get_entry(entry_id)
    merged = {
        "service_definition": entry.service_definition.service_definition,
        "service_uri": entry.service_uri,
        "end_of_validity": entry.end_of_validity,
        "secure": entry.secure,
        "metadata": entry.metadata_,
        "version": entry.version,
        "interfaces": [interface.interface_name for interface in entry.interfaces],
    }
    merged.update(changes)
    _store_entry(entry, merged, reject_reserved_system_names=True)
    logger.info("Patched entry %d (%s)", entry.id, ", ".join(sorted(changes)))
    return entry


def _store_entry(
    entry: ServiceRegistryEntry, data: dict, *, reject_reserved_system_names: bool
) -> None:
    """Validate ``data``, write it into ``entry`` and commit.

    Without ``provider_system`` in ``data`` the entry keeps its provider.
    """
    definition_name = normalize_definition(data["service_definition"])
    interface_names = normalize_interfaces(data["interfaces"])
    secure = normalize_security_type(data.get("secure"))
    service_uri = data.get("service_uri")
    if service_uri is None:
        service_uri = ""

    provider_data = data.get("provider_system")
    if provider_data is not None:
        name = normalize_system_name(
            provider_data["system_name"], reject_reserved=reject_reserved_system_names
        )
        address, address_type = normalize_system_address(provider_data["address"])
        system_key = (name, address, provider_data["port"])
        authentication_info = provider_data.get("authentication_info")
    else:
        provider = entry.provider
        system_key = (provider.system_name, provider.address, provider.port)
        authentication_info = provider.authentication_info

    check_security(secure, authentication_info)
    message = _duplicate_entry_message(definition_name, system_key, service_uri)
    if _entry_exists(definition_name, system_key, service_uri, exclude_id=entry.id):
        raise Duplicate(message)

    # Every lookup runs before the entry changes, so autoflush never writes a
    # half-updated entry.
    service_definition = find_or_create_definition(definition_name)
    interfaces = find_or_create_interfaces(interface_names)
    if provider_data is not None:
        provider = find_or_create_system(
            system_key[0], system_key[1], address_type, system_key[2]
        )
        provider.authentication_info = authentication_info
        provider.metadata_ = provider_data.get("metadata")
        entry.provider = provider

    entry.service_definition = service_definition
    entry.interfaces = interfaces
    entry.service_uri = service_uri
    entry.end_of_validity = data.get("end_of_validity")
    entry.secure = secure
    entry.metadata_ = data.get("metadata")
    version = data.get("version")
    entry.version = DEFAULT_VERSION if version is None else version

    db.session.add(entry)
    commit_or_duplicate(message)


def delete_entry(entry_id: int) -> None:
    """Delete one entry and commit.

    :raises NotFound: when no such entry exists.
    """
    delete_by_id(ServiceRegistryEntry, entry_id, "Service Registry entry")


def unregister_entries(
    definition: str,
    system_name: str,
    address: str | None,
    port: int,
    service_uri: str | None,
) -> int:
    """Delete a provider's entries of one definition and commit.

    With ``service_uri`` only the entry at that URI goes. Without it every entry
    of the definition and provider goes. Without ``address`` the provider is the
    only system with this name and port.

    :returns: the number of entries deleted, at least 1.
    :raises NotFound: when the definition, the system or a matching entry is
        unknown.
    :raises InvalidParameter: when ``address`` is omitted and several systems
        have this name and port.
    """
    definition_name = definition.strip().lower()
    found = select_definition(definition_name)
    if found is None:
        raise NotFound(f"No service exists with definition {definition_name}")

    provider = _unregister_provider(system_name, address, port)
    statement = select(ServiceRegistryEntry.id).where(
        ServiceRegistryEntry.service_id == found.id,
        ServiceRegistryEntry.system_id == provider.id,
    )
    if service_uri is not None:
        statement = statement.where(ServiceRegistryEntry.service_uri == service_uri)
    entry_ids = list(db.session.execute(statement).scalars().all())
    if not entry_ids:
        raise NotFound(
            f"No Service Registry entry with provider: ({provider.system_name}, "
            f"{provider.address}:{provider.port}), service definition: "
            f"{definition_name} and service URI: {service_uri} exists."
        )

    db.session.execute(
        delete(ServiceRegistryEntry).where(ServiceRegistryEntry.id.in_(entry_ids))
    )
    db.session.commit()
    logger.info(
        "Unregistered entries %s of %s by system %d",
        entry_ids,
        definition_name,
        provider.id,
    )
    return len(entry_ids)


def _unregister_provider(system_name: str, address: str | None, port: int) -> System:
    name = normalize_system_name(system_name)
    if address is not None and address.strip():
        normalized, _ = normalize_system_address(address)
        system = select_system(name, normalized, port)
        if system is None:
            raise NotFound(
                f"No system with name: {name}, address: {normalized}, port: {port}"
            )
        return system

    statement = select(System).where(System.system_name == name, System.port == port)
    systems = db.session.execute(statement).scalars().all()
    if not systems:
        raise NotFound(f"No system with name: {name} and port: {port}")
    if len(systems) > 1:
        raise InvalidParameter(
            f"Several systems have name {name} and port {port}. Give the address."
        )
    return systems[0]


def purge_expired(now: datetime) -> int:
    """Delete every entry whose ``endOfValidity`` is before ``now`` and commit.

    :param now: an aware UTC datetime.
    :returns: the number of entries deleted, 0 when none had expired.
    """
    statement = select(ServiceRegistryEntry.id).where(
        ServiceRegistryEntry.end_of_validity.is_not(None),
        ServiceRegistryEntry.end_of_validity < now,
    )
    entry_ids = list(db.session.execute(statement).scalars().all())
    if entry_ids:
        db.session.execute(
            delete(ServiceRegistryEntry).where(ServiceRegistryEntry.id.in_(entry_ids))
        )
    db.session.commit()
    if entry_ids:
        logger.info("Purged %d expired entries: %s", len(entry_ids), entry_ids)
    return len(entry_ids)


def grouped() -> dict:
    """Return the data of ServiceRegistryGroupedResponseDTO as model objects.

    :returns: ``entries``, ``definitions``, ``systems`` and ``interfaces``, each a
        list in id order; the view groups and dumps them.
    """
    return {
        "entries": all_entries(),
        "definitions": list(
            db.session.execute(select(ServiceDefinition).order_by(ServiceDefinition.id))
            .scalars()
            .all()
        ),
        "systems": list(
            db.session.execute(select(System).order_by(System.id)).scalars().all()
        ),
        "interfaces": list(
            db.session.execute(select(ServiceInterface).order_by(ServiceInterface.id))
            .scalars()
            .all()
        ),
    }
