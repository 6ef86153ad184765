"""Service Registry logic: systems, service definitions, interfaces and entries.

The functions commit their own changes. Find-or-create of systems, definitions
and interfaces inserts with ``ON CONFLICT DO NOTHING`` and selects again, so
concurrent registrations of the same new name all succeed and create one row.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from ..errors import BadPayload
from ..errors import Duplicate
from ..errors import InvalidParameter
from ..errors import NotFound
from ..extensions import db
from ..paging import PageRequest
from ..paging import paginate
from . import names
from .addresses import AddressPolicy
from .addresses import normalize_address
from .models import SECURITY_TYPES
from .models import ServiceDefinition
from .models import ServiceInterface
from .models import ServiceRegistryEntry
from .models import System
from .query import QueryForm

logger = logging.getLogger(__name__)

DEFAULT_VERSION = 1
NOT_SECURE = "NOT_SECURE"

ENTRY_SORT_COLUMNS = {
    "id": ServiceRegistryEntry.id,
    "createdAt": ServiceRegistryEntry.created_at,
    "updatedAt": ServiceRegistryEntry.updated_at,
}
DEFINITION_SORT_COLUMNS = {
    "id": ServiceDefinition.id,
    "createdAt": ServiceDefinition.created_at,
    "updatedAt": ServiceDefinition.updated_at,
}
SYSTEM_SORT_COLUMNS = {
    "id": System.id,
    "createdAt": System.created_at,
    "updatedAt": System.updated_at,
    "systemName": System.system_name,
    "address": System.address,
    "port": System.port,
}
INTERFACE_SORT_COLUMNS = {
    "id": ServiceInterface.id,
    "interfaceName": ServiceInterface.interface_name,
    "createdAt": ServiceInterface.created_at,
    "updatedAt": ServiceInterface.updated_at,
}


# Normalisation ------------------------------------------------------------


def address_policy() -> AddressPolicy:
    """Return the address ranges the configuration accepts."""
    config = current_app.config
    return AddressPolicy(
        allow_self_addressing=config["ARROWHEAD_ALLOW_SELF_ADDRESSING"],
        allow_non_routable_addressing=config["ARROWHEAD_ALLOW_NON_ROUTABLE_ADDRESSING"],
    )


def normalize_system_name(text: str, *, reject_reserved: bool = False) -> str:
    """Return the stored system name.

    :param reject_reserved: reject the names of the core systems.
    :raises BadPayload: when the name is blank or invalid.
    :raises InvalidParameter: when the name is reserved and ``reject_reserved`` is set.
    """
    try:
        name = names.normalize_system_name(text)
    except ValueError as error:
        raise BadPayload(str(error)) from None

    if reject_reserved and name in names.CORE_SYSTEM_NAMES:
        raise InvalidParameter(
            f"System name '{name}' is reserved for a core system. Choose another name."
        )
    return name


def normalize_system_address(text: str) -> tuple[str, str]:
    """Return the stored address and its type.

    :raises BadPayload: when the address is not acceptable.
    """
    try:
        return normalize_address(text, address_policy())
    except ValueError as error:
        raise BadPayload(
            f"{error} Address detection process was skipped, so send a valid address."
        ) from None


def normalize_definition(text: str, *, reject_reserved: bool = False) -> str:
    """Return the stored service definition.

    :param reject_reserved: reject the core systems' service definitions.
    :raises BadPayload: when the definition is blank or invalid.
    :raises InvalidParameter: when it is reserved and ``reject_reserved`` is set.
    """
    strict = current_app.config["ARROWHEAD_STRICT_SERVICE_DEFINITIONS"]
    try:
        definition = names.normalize_service_definition(text, strict=strict)
    except ValueError as error:
        raise BadPayload(str(error)) from None

    if reject_reserved and definition in names.CORE_SERVICE_DEFINITIONS:
        raise InvalidParameter(
            f"Service definition '{definition}' is reserved for a core service."
        )
    return definition


def normalize_interfaces(texts: Iterable[str]) -> list[str]:
    """Return the stored interface names, without repeats, in the given order.

    :raises BadPayload: when the list is empty or a name is invalid.
    """
    result: list[str] = []
    for text in texts:
        try:
            name = names.normalize_interface_name(text)
        except ValueError as error:
            raise BadPayload(str(error)) from None
        if name not in result:
            result.append(name)

    if not result:
        raise BadPayload(
            "Interfaces list is null or empty. Give at least one interface."
        )
    return result


def normalize_security_type(text: str | None) -> str:
    """Return the upper-case security type, ``NOT_SECURE`` for ``None``.

    :raises BadPayload: for a value other than NOT_SECURE, CERTIFICATE or TOKEN.
    """
    if text is None:
        return NOT_SECURE

    value = text.strip().upper()
    if value not in SECURITY_TYPES:
        raise BadPayload(
            f"Security type is not valid: {text!r}. Use one of "
            f"{', '.join(SECURITY_TYPES)}."
        )
    return value


def _check_security(secure: str, authentication_info: str | None) -> None:
    if secure == NOT_SECURE:
        return

    if current_app.config["ARROWHEAD_TLS_MODE"] == "off":
        raise InvalidParameter(
            "ServiceRegistry insecure mode can not handle secure services. "
            "Register with secure NOT_SECURE or run with a TLS mode."
        )
    if not authentication_info or not authentication_info.strip():
        raise BadPayload(
            "Security type is in conflict with the availability of the "
            "authentication info: a CERTIFICATE or TOKEN service needs the "
            "provider's authenticationInfo."
        )


def to_query_form(data: dict) -> QueryForm:
    """Build a normalised QueryForm from a loaded ServiceQueryFormDTO.

    :raises BadPayload: when the definition requirement is blank or invalid.
    """
    interfaces = tuple(
        dict.fromkeys(name.strip().upper() for name in data.get("interfaces") or ())
    )
    return QueryForm(
        service_definition=normalize_definition(data["service_definition"]),
        interfaces=interfaces,
        security_types=tuple(data.get("security_types") or ()),
        metadata=data.get("metadata"),
        version=data.get("version"),
        min_version=data.get("min_version"),
        max_version=data.get("max_version"),
        address_types=tuple(data.get("address_types") or ()),
        ping_providers=bool(data.get("ping_providers")),
    )


# Race-safe find-or-create ---------------------------------------------------


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


def _select_definition(name: str) -> ServiceDefinition | None:
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
    definition = _select_definition(name)
    if definition is not None:
        return definition

    _insert_ignoring_conflict(
        ServiceDefinition, {"service_definition": name}, ["service_definition"]
    )
    definition = _select_definition(name)
    logger.info("Service definition %r has id %d", name, definition.id)
    return definition


def _select_interfaces(interface_names: list[str]) -> dict[str, ServiceInterface]:
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
    found = _select_interfaces(requested)
    missing = sorted(set(requested) - set(found))
    if missing:
        # Sorted inserts keep the lock order equal across concurrent requests.
        for name in missing:
            _insert_ignoring_conflict(
                ServiceInterface, {"interface_name": name}, ["interface_name"]
            )
        found = _select_interfaces(requested)
        logger.info("Created interfaces %s", ", ".join(missing))
    return [found[name] for name in requested]


def _select_system(name: str, address: str, port: int) -> System | None:
    statement = select(System).where(
        System.system_name == name, System.address == address, System.port == port
    )
    return db.session.execute(statement).scalar_one_or_none()


def _find_or_create_system(
    name: str, address: str, address_type: str, port: int
) -> System:
    system = _select_system(name, address, port)
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
    system = _select_system(name, address, port)
    logger.info("System %s (%s:%d) has id %d", name, address, port, system.id)
    return system


# Systems --------------------------------------------------------------------


def find_system(name: str, address: str, port: int) -> System | None:
    """Return the system with this name, address and port, or None.

    :param name: the name as sent, normalised here like ``address``.
    :raises BadPayload: when the name or the address is invalid.
    """
    name = normalize_system_name(name)
    address, _ = normalize_system_address(address)
    return _select_system(name, address, port)


def get_system(system_id: int) -> System:
    """Return the system with id ``system_id``.

    :raises InvalidParameter: when the id is below 1.
    :raises NotFound: when no such system exists.
    """
    _check_id(system_id, "System")
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
    if _select_system(name, address, port) is not None:
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
    _commit_or_duplicate(_duplicate_system_message(name, address, port))
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
        if _select_system(name, address, port) is not None:
            raise Duplicate(_duplicate_system_message(name, address, port))

    system.system_name = name
    system.address = address
    system.address_type = address_type
    system.port = port
    if not partial or "authentication_info" in data:
        system.authentication_info = data.get("authentication_info")
    if not partial or "metadata" in data:
        system.metadata_ = data.get("metadata")

    _commit_or_duplicate(_duplicate_system_message(name, address, port))
    logger.info("Updated system %d %s (%s:%d)", system.id, name, address, port)
    return system


def delete_system(system_id: int) -> None:
    """Delete a system and commit, cascading to its entries and rules.

    Orchestrator store rules that name the system as provider stay.

    :raises NotFound: when no such system exists.
    """
    _check_id(system_id, "System")
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


# Service definitions and interfaces ----------------------------------------------


def get_definition(definition_id: int) -> ServiceDefinition:
    """Return the service definition with id ``definition_id``.

    :raises NotFound: when no such definition exists.
    """
    _check_id(definition_id, "Service definition")
    definition = db.session.get(ServiceDefinition, definition_id)
    if definition is None:
        raise NotFound(f"Service definition with id of '{definition_id}' not exists.")
    return definition


def list_definitions(page_request: PageRequest) -> tuple[list[ServiceDefinition], int]:
    """Return one page of service definitions and the total count."""
    return paginate(select(ServiceDefinition), page_request, DEFINITION_SORT_COLUMNS)


def create_definition(text: str) -> ServiceDefinition:
    """Create a service definition and commit.

    :raises InvalidParameter: when the definition is reserved for a core service.
    :raises Duplicate: when it exists.
    """
    name = normalize_definition(text, reject_reserved=True)
    message = f"{name} definition already exists."
    if _select_definition(name) is not None:
        raise Duplicate(message)

    definition = ServiceDefinition(service_definition=name)
    db.session.add(definition)
    _commit_or_duplicate(message)
    logger.info("Created service definition %d %s", definition.id, name)
    return definition


def update_definition(definition_id: int, text: str) -> ServiceDefinition:
    """Rename a service definition and commit.

    :raises NotFound: when no such definition exists.
    :raises Duplicate: when the new name is taken.
    """
    definition = get_definition(definition_id)
    name = normalize_definition(text, reject_reserved=True)
    message = f"{name} definition already exists."
    if name != definition.service_definition and _select_definition(name):
        raise Duplicate(message)

    definition.service_definition = name
    _commit_or_duplicate(message)
    logger.info("Renamed service definition %d to %s", definition.id, name)
    return definition


def delete_definition(definition_id: int) -> None:
    """Delete a service definition with its entries and rules, and commit.

    :raises NotFound: when no such definition exists.
    """
    _delete_by_id(ServiceDefinition, definition_id, "Service definition")


def get_interface(interface_id: int) -> ServiceInterface:
    """Return the interface with id ``interface_id``.

    :raises NotFound: when no such interface exists.
    """
    _check_id(interface_id, "Interface")
    interface = db.session.get(ServiceInterface, interface_id)
    if interface is None:
        raise NotFound(f"Interface with id of '{interface_id}' not exists.")
    return interface


def list_interfaces(page_request: PageRequest) -> tuple[list[ServiceInterface], int]:
    """Return one page of interfaces and the total count."""
    return paginate(select(ServiceInterface), page_request, INTERFACE_SORT_COLUMNS)


def _select_interface(name: str) -> ServiceInterface | None:
    return _select_interfaces([name]).get(name)


def create_interface(text: str) -> ServiceInterface:
    """Create an interface and commit.

    :raises Duplicate: when it exists.
    """
    (name,) = normalize_interfaces([text])
    message = f"{name} interface already exists."
    if _select_interface(name) is not None:
        raise Duplicate(message)

    interface = ServiceInterface(interface_name=name)
    db.session.add(interface)
    _commit_or_duplicate(message)
    logger.info("Created interface %d %s", interface.id, name)
    return interface


def update_interface(interface_id: int, text: str) -> ServiceInterface:
    """Rename an interface and commit.

    :raises NotFound: when no such interface exists.
    :raises Duplicate: when the new name is taken.
    """
    interface = get_interface(interface_id)
    (name,) = normalize_interfaces([text])
    message = f"{name} interface already exists."
    if name != interface.interface_name and _select_interface(name) is not None:
        raise Duplicate(message)

    interface.interface_name = name
    _commit_or_duplicate(message)
    logger.info("Renamed interface %d to %s", interface.id, name)
    return interface


def delete_interface(interface_id: int) -> None:
    """Delete an interface with its entry and rule links and store rules.

    :raises NotFound: when no such interface exists.
    """
    _delete_by_id(ServiceInterface, interface_id, "Interface")


# Service registry entries ---------------------------------------------------


def get_entry(entry_id: int) -> ServiceRegistryEntry:
    """Return the entry with id ``entry_id``.

    :raises NotFound: when no such entry exists.
    """
    _check_id(entry_id, "Service Registry entry")
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
        found = _select_definition(name)
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

    _check_security(secure, authentication_info)
    message = _duplicate_entry_message(definition_name, system_key, service_uri)
    if _entry_exists(definition_name, system_key, service_uri, exclude_id=entry.id):
        raise Duplicate(message)

    # Every lookup runs before the entry changes, so autoflush never writes a
    # half-updated entry.
    service_definition = find_or_create_definition(definition_name)
    interfaces = find_or_create_interfaces(interface_names)
    if provider_data is not None:
        provider = _find_or_create_system(
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
    _commit_or_duplicate(message)


def delete_entry(entry_id: int) -> None:
    """Delete one entry and commit.

    :raises NotFound: when no such entry exists.
    """
    _delete_by_id(ServiceRegistryEntry, entry_id, "Service Registry entry")


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
    found = _select_definition(definition_name)
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
        system = _select_system(name, normalized, port)
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


# Helpers --------------------------------------------------------------------


MAX_ID = 2**31 - 1


def _check_id(record_id: int, label: str) -> None:
    if record_id < 1:
        raise InvalidParameter(f"{label} id must be greater than 0, not {record_id}.")
    if record_id > MAX_ID:
        # Larger ids never exist, and PostgreSQL rejects them as integers.
        raise NotFound(f"{label} with id '{record_id}' does not exist.")


def _delete_by_id(model, record_id: int, label: str) -> None:
    _check_id(record_id, label)
    result = db.session.execute(delete(model).where(model.id == record_id))
    if result.rowcount == 0:
        db.session.rollback()
        raise NotFound(f"{label} with id '{record_id}' does not exist.")
    db.session.commit()
    logger.info("Removed %s %d", label.lower(), record_id)


def _commit_or_duplicate(message: str) -> None:
    """Commit; a unique-constraint violation from a concurrent request is a 400."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Duplicate(message) from None
