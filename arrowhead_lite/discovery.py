"""Publication of the core systems' own services in the Service Registry.

Clients find the Orchestrator and the Authorization public key by asking the
registry for ``orchestration-service`` or ``auth-public-key``, as they do
against the reference, whose core systems register their services at start-up.
Here one operator command (``flask core publish``) writes those entries once,
under this server's public address and port; it never runs in a worker.
"""

import base64
import logging
import os
from dataclasses import dataclass

import click
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter

from .config import certs_dir
from .extensions import db
from .registry.models import ServiceDefinition
from .registry.models import ServiceInterface
from .registry.models import ServiceRegistryEntry
from .registry.models import System

logger = logging.getLogger(__name__)

SECURE_INTERFACE = "HTTP-SECURE-JSON"
INSECURE_INTERFACE = "HTTP-INSECURE-JSON"


@dataclass(frozen=True)
class CoreService:
    """A service a core system publishes: definition, path and HTTP method."""

    system: str
    definition: str
    uri: str
    method: str


# The services the reference's core systems register (SR-Init, CoreSystemService).
CORE_SERVICES = (
    CoreService(
        "serviceregistry", "service-register", "/serviceregistry/register", "POST"
    ),
    CoreService(
        "serviceregistry", "service-unregister", "/serviceregistry/unregister", "DELETE"
    ),
    CoreService(
        "serviceregistry",
        "register-system",
        "/serviceregistry/register-system",
        "POST",
    ),
    CoreService(
        "serviceregistry",
        "unregister-system",
        "/serviceregistry/unregister-system",
        "DELETE",
    ),
    CoreService(
        "serviceregistry", "pull-systems", "/serviceregistry/pull-systems", "GET"
    ),
    CoreService("serviceregistry", "service-query", "/serviceregistry/query", "POST"),
    CoreService(
        "authorization",
        "authorization-control-intra",
        "/authorization/intracloud/check",
        "POST",
    ),
    CoreService(
        "authorization",
        "authorization-control-inter",
        "/authorization/intercloud/check",
        "POST",
    ),
    CoreService("authorization", "token-generation", "/authorization/token", "POST"),
    CoreService(
        "authorization",
        "token-generation-multi-service",
        "/authorization/token/multi",
        "POST",
    ),
    CoreService("authorization", "auth-public-key", "/authorization/publickey", "GET"),
    CoreService(
        "authorization",
        "authorization-control-subscription",
        "/authorization/subscription/check",
        "POST",
    ),
    CoreService(
        "orchestrator",
        "orchestration-service",
        "/orchestrator/orchestration",
        "POST",
    ),
    CoreService(
        "orchestrator",
        "orchestration-service-by-proxy",
        "/orchestrator/orchestration-by-proxy",
        "POST",
    ),
)

# Core system name -> blueprint that serves it.
BLUEPRINT_OF_SYSTEM = {
    "serviceregistry": "registry",
    "authorization": "authorization",
    "orchestrator": "orchestrator",
}


@dataclass(frozen=True)
class PublishResult:
    """Changes made by one publication."""

    published: tuple[str, ...]
    removed_systems: int
    removed_entries: int


def served_services(app: Flask) -> list[CoreService]:
    """Return the core services this app serves: blueprint enabled and route present."""
    enabled = set(app.config["ARROWHEAD_BLUEPRINTS"])
    adapter = app.url_map.bind("localhost")
    return [
        service
        for service in CORE_SERVICES
        if BLUEPRINT_OF_SYSTEM[service.system] in enabled
        and is_routed(adapter, service)
    ]


def is_routed(adapter: MapAdapter, service: CoreService) -> bool:
    """Return whether a route serves the service's method and path."""
    try:
        adapter.match(service.uri, method=service.method)
    except HTTPException:  # NotFound, MethodNotAllowed or RequestRedirect
        return False
    return True


def server_public_key(config: dict) -> str | None:
    """Return the server certificate's key as Base64 DER SubjectPublicKeyInfo.

    :returns: None in ``off`` mode or when ``server.pem`` does not exist.
    """
    if config["ARROWHEAD_TLS_MODE"] == "off":
        return None

    path = os.path.join(certs_dir(config), "server.pem")
    try:
        with open(path, "rb") as pem:
            certificate = x509.load_pem_x509_certificate(pem.read())
    except FileNotFoundError:
        logger.warning("No %s: core systems are published without a key", path)
        return None

    der = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def publish_core_services(app: Flask) -> PublishResult:
    """Write the core systems and their services into the registry.

    Idempotent: a second run changes nothing. Core system records at another
    address or port, and entries of services no longer served, are removed.

    :param app: the application whose settings and routes decide what is published.
    :returns: the published definitions and the number of removed records.
    """
    config = app.config
    address = config["ARROWHEAD_PUBLIC_ADDRESS"].strip().lower()
    port = config["ARROWHEAD_PUBLIC_PORT"]
    secure = config["ARROWHEAD_TLS_MODE"] != "off"
    interface_name = SECURE_INTERFACE if secure else INSECURE_INTERFACE
    security = "CERTIFICATE" if secure else "NOT_SECURE"
    public_key = server_public_key(config)

    services = served_services(app)
    systems_served = sorted({service.system for service in services})

    removed_systems = _remove_moved_systems(systems_served, address, port)
    interface = _get_or_create_interface(interface_name)
    definitions = _get_or_create_definitions([s.definition for s in services])

    removed_entries = 0
    for name in systems_served:
        system = _get_or_create_system(name, address, port, public_key)
        own = [service for service in services if service.system == name]
        removed_entries += _sync_entries(system, own, definitions, interface, security)

    db.session.commit()
    published = tuple(service.definition for service in services)
    logger.info(
        "Published %d core services at %s:%d (%s)",
        len(published),
        address,
        port,
        security,
    )
    return PublishResult(published, removed_systems, removed_entries)


def _remove_moved_systems(names: list[str], address: str, port: int) -> int:
    stale = (
        db.session.execute(
            select(System).where(
                System.system_name.in_(names),
                (System.address != address) | (System.port != port),
            )
        )
        .scalars()
        .all()
    )
    for system in stale:
        logger.info("Removing stale core system record %r", system)
        db.session.delete(system)
    db.session.flush()
    return len(stale)


def _get_or_create_interface(name: str) -> ServiceInterface:
    interface = db.session.execute(
        select(ServiceInterface).where(ServiceInterface.interface_name == name)
    ).scalar_one_or_none()
    if interface is None:
        interface = ServiceInterface(interface_name=name)
        db.session.add(interface)
        db.session.flush()
    return interface


def _get_or_create_definitions(names: list[str]) -> dict[str, ServiceDefinition]:
    found = {
        definition.service_definition: definition
        for definition in db.session.execute(
            select(ServiceDefinition).where(
                ServiceDefinition.service_definition.in_(names)
            )
        ).scalars()
    }
    for name in names:
        if name not in found:
            found[name] = ServiceDefinition(service_definition=name)
            db.session.add(found[name])
    db.session.flush()
    return found


def _get_or_create_system(
    name: str, address: str, port: int, public_key: str | None
) -> System:
    system = db.session.execute(
        select(System).where(
            System.system_name == name, System.address == address, System.port == port
        )
    ).scalar_one_or_none()
    if system is None:
        system = System(system_name=name, address=address, port=port)
        db.session.add(system)

    if system.authentication_info != public_key:
        system.authentication_info = public_key
    db.session.flush()
    return system


def _sync_entries(
    system: System,
    services: list[CoreService],
    definitions: dict[str, ServiceDefinition],
    interface: ServiceInterface,
    security: str,
) -> int:
    expected = {definitions[service.definition].id: service for service in services}
    entries = (
        db.session.execute(
            select(ServiceRegistryEntry).where(
                ServiceRegistryEntry.system_id == system.id
            )
        )
        .scalars()
        .all()
    )

    removed = 0
    present: set[int] = set()
    for entry in entries:
        service = expected.get(entry.service_id)
        if service is None or entry.service_uri != service.uri:
            db.session.delete(entry)
            removed += 1
            continue
        present.add(entry.service_id)
        _update_entry(entry, interface, security, _metadata(service))

    for definition_id, service in expected.items():
        if definition_id in present:
            continue
        entry = ServiceRegistryEntry(
            service_id=definition_id,
            system_id=system.id,
            service_uri=service.uri,
            secure=security,
            version=1,
            metadata_=_metadata(service),
        )
        entry.interfaces = [interface]
        db.session.add(entry)

    db.session.flush()
    return removed


def _metadata(service: CoreService) -> dict[str, str]:
    # The Go-dialect SDK reads the HTTP method from the entry's metadata.
    return {"http-method": service.method}


def _update_entry(
    entry: ServiceRegistryEntry,
    interface: ServiceInterface,
    security: str,
    metadata: dict[str, str],
) -> None:
    if entry.secure != security:
        entry.secure = security
    if entry.metadata_ != metadata:
        entry.metadata_ = metadata
    if [item.id for item in entry.interfaces] != [interface.id]:
        entry.interfaces = [interface]


core_group = AppGroup("core", help="Manage the core systems' own registry entries.")


@core_group.command("publish")
def publish_command() -> None:
    """Register the core services under ARROWHEAD_PUBLIC_ADDRESS/PORT."""
    result = publish_core_services(current_app._get_current_object())
    click.echo(
        f"Published {len(result.published)} core services at "
        f"{current_app.config['ARROWHEAD_PUBLIC_ADDRESS']}:"
        f"{current_app.config['ARROWHEAD_PUBLIC_PORT']}"
        f" (removed {result.removed_systems} stale systems, "
        f"{result.removed_entries} stale entries)."
    )


def init_app(app: Flask) -> None:
    """Register the ``flask core`` commands."""
    app.cli.add_command(core_group)
