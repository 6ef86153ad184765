"""Service definitions and interfaces of the Service Registry."""

import logging

from sqlalchemy import select

from ..errors import Duplicate
from ..errors import NotFound
from ..extensions import db
from ..paging import PageRequest
from ..paging import paginate
from .models import ServiceDefinition
from .models import ServiceInterface
from .records import check_id
from .records import commit_or_duplicate
from .records import delete_by_id
from .records import select_definition
from .records import select_interfaces
from .validation import normalize_definition
from .validation import normalize_interfaces

logger = logging.getLogger(__name__)

DEFINITION_SORT_COLUMNS = {
    "id": ServiceDefinition.id,
    "createdAt": ServiceDefinition.created_at,
    "updatedAt": ServiceDefinition.updated_at,
}

INTERFACE_SORT_COLUMNS = {
    "id": ServiceInterface.id,
    "interfaceName": ServiceInterface.interface_name,
    "createdAt": ServiceInterface.created_at,
    "updatedAt": ServiceInterface.updated_at,
}


def get_definition(definition_id: int) -> ServiceDefinition:
    """Return the service definition with id ``definition_id``.

    :raises NotFound: when no such definition exists.
    """
    check_id(definition_id, "Service definition")
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
    if select_definition(name) is not None:
        raise Duplicate(message)

    definition = ServiceDefinition(service_definition=name)
    db.session.add(definition)
    commit_or_duplicate(message)
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
    if name != definition.service_definition and select_definition(name):
        raise Duplicate(message)

    definition.service_definition = name
    commit_or_duplicate(message)
    logger.info("Renamed service definition %d to %s", definition.id, name)
    return definition


def delete_definition(definition_id: int) -> None:
    """Delete a service definition with its entries and rules, and commit.

    :raises NotFound: when no such definition exists.
    """
    delete_by_id(ServiceDefinition, definition_id, "Service definition")


def get_interface(interface_id: int) -> ServiceInterface:
    """Return the interface with id ``interface_id``.

    :raises NotFound: when no such interface exists.
    """
    check_id(interface_id, "Interface")
    interface = db.session.get(ServiceInterface, interface_id)
    if interface is None:
        raise NotFound(f"Interface with id of '{interface_id}' not exists.")
    return interface


def list_interfaces(page_request: PageRequest) -> tuple[list[ServiceInterface], int]:
    """Return one page of interfaces and the total count."""
    return paginate(select(ServiceInterface), page_request, INTERFACE_SORT_COLUMNS)


def _select_interface(name: str) -> ServiceInterface | None:
    return select_interfaces([name]).get(name)


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
    commit_or_duplicate(message)
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
    commit_or_duplicate(message)
    logger.info("Renamed interface %d to %s", interface.id, name)
    return interface


def delete_interface(interface_id: int) -> None:
    """Delete an interface with its entry and rule links and store rules.

    :raises NotFound: when no such interface exists.
    """
    delete_by_id(ServiceInterface, interface_id, "Interface")
