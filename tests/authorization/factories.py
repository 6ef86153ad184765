"""Rows for the authorization tests, created directly with the models."""

from sqlalchemy import select

from arrowhead_lite.authorization.models import AuthorizationRule
from arrowhead_lite.extensions import db
from arrowhead_lite.registry.models import ServiceDefinition
from arrowhead_lite.registry.models import ServiceInterface
from arrowhead_lite.registry.models import System


def system(name: str, port: int = 8080, authentication_info: str | None = None):
    row = System(
        system_name=name,
        address="127.0.0.1",
        address_type="IPV4",
        port=port,
        authentication_info=authentication_info,
    )
    db.session.add(row)
    db.session.flush()
    return row


def definition(name: str):
    row = ServiceDefinition(service_definition=name)
    db.session.add(row)
    db.session.flush()
    return row


def interface(name: str):
    """Return the interface row named ``name``, creating it if needed."""
    row = db.session.execute(
        select(ServiceInterface).filter_by(interface_name=name)
    ).scalar_one_or_none()
    if row is None:
        row = ServiceInterface(interface_name=name)
        db.session.add(row)
        db.session.flush()
    return row


def rule(consumer, provider, service, interfaces):
    row = AuthorizationRule(
        consumer=consumer,
        provider=provider,
        service_definition=service,
        interfaces=list(interfaces),
    )
    db.session.add(row)
    db.session.flush()
    return row
