"""Rows and request bodies for the orchestrator tests."""

from datetime import datetime

from sqlalchemy import select

from arrowhead_lite.authorization.models import AuthorizationRule
from arrowhead_lite.extensions import db
from arrowhead_lite.registry.models import ServiceDefinition
from arrowhead_lite.registry.models import ServiceInterface
from arrowhead_lite.registry.models import ServiceRegistryEntry
from arrowhead_lite.registry.models import System
from tests import helpers

DEFINITION = "temperature-reading"
SECURE_JSON = "HTTP-SECURE-JSON"
INSECURE_JSON = "HTTP-INSECURE-JSON"


def system(
    name: str,
    port: int = 8080,
    *,
    address: str = "127.0.0.1",
    address_type: str = "IPV4",
    key: str | None = None,
) -> System:
    """Add a system; ``key`` names a ``helpers.rsa_key`` for authenticationInfo."""
    row = System(
        system_name=name,
        address=address,
        address_type=address_type,
        port=port,
        authentication_info=helpers.public_key_base64(key) if key else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def definition(name: str = DEFINITION) -> ServiceDefinition:
    row = db.session.execute(
        select(ServiceDefinition).filter_by(service_definition=name)
    ).scalar_one_or_none()
    if row is None:
        row = ServiceDefinition(service_definition=name)
        db.session.add(row)
        db.session.flush()
    return row


def interface(name: str = SECURE_JSON) -> ServiceInterface:
    row = db.session.execute(
        select(ServiceInterface).filter_by(interface_name=name)
    ).scalar_one_or_none()
    if row is None:
        row = ServiceInterface(interface_name=name)
        db.session.add(row)
        db.session.flush()
    return row


def entry(
    provider: System,
    service: str = DEFINITION,
    *,
    secure: str = "NOT_SECURE",
    interfaces=(SECURE_JSON,),
    uri: str | None = None,
    end_of_validity: datetime | None = None,
    metadata: dict | None = None,
    version: int = 1,
) -> ServiceRegistryEntry:
    row = ServiceRegistryEntry(
        service_definition=definition(service),
        provider=provider,
        service_uri=uri if uri is not None else f"/{service}",
        secure=secure,
        end_of_validity=end_of_validity,
        metadata_=metadata,
        version=version,
        interfaces=[interface(name) for name in interfaces],
    )
    db.session.add(row)
    db.session.flush()
    return row


def rule(
    consumer: System,
    provider: System,
    service: str = DEFINITION,
    interfaces=(SECURE_JSON,),
) -> AuthorizationRule:
    row = AuthorizationRule(
        consumer=consumer,
        provider=provider,
        service_definition=definition(service),
        interfaces=[interface(name) for name in interfaces],
    )
    db.session.add(row)
    db.session.flush()
    return row


def requester(name: str = "consumer", port: int = 9000, **extra) -> dict:
    body = {"systemName": name, "address": "127.0.0.1", "port": port}
    body.update(extra)
    return body


def form(
    service: str | None = DEFINITION,
    *,
    requester_name: str = "consumer",
    port: int = 9000,
    flags: dict | None = None,
    **requirements,
) -> dict:
    """Return an orchestration form, dynamic (overrideStore) unless ``flags`` set it."""
    body = {
        "requesterSystem": requester(requester_name, port),
        "orchestrationFlags": {"overrideStore": True, **(flags or {})},
    }
    if service is not None:
        body["requestedService"] = {"serviceDefinitionRequirement": service}
        body["requestedService"].update(requirements)
    return body


def store_rule_body(
    consumer_id: int,
    provider: str,
    priority: int = 1,
    *,
    port: int = 8080,
    service: str = DEFINITION,
    interface_name: str = SECURE_JSON,
    **extra,
) -> dict:
    body = {
        "serviceDefinitionName": service,
        "consumerSystemId": consumer_id,
        "providerSystem": helpers.system_body(provider, port),
        "serviceInterfaceName": interface_name,
        "priority": priority,
    }
    body.update(extra)
    return body


def add_provider(
    app,
    consumer_id: int | None,
    name: str,
    port: int,
    *,
    rule_interfaces=(SECURE_JSON,),
    address: str = "127.0.0.1",
    address_type: str = "IPV4",
    key: str | None = None,
    **entry_options,
) -> int:
    """Commit a provider with one entry and, unless ``consumer_id`` is None, a rule.

    :returns: the provider's system id.
    """
    with app.app_context():
        provider = system(
            name, port, address=address, address_type=address_type, key=key
        )
        entry(provider, **entry_options)
        if consumer_id is not None:
            consumer = db.session.get(System, consumer_id)
            rule(consumer, provider, interfaces=rule_interfaces)
        db.session.commit()
        return provider.id
