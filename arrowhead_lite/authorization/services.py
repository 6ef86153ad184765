"""Authorization logic: intra-cloud rules, rule checks and token generation.

The Orchestrator calls ``authorized_interfaces`` and ``generate_tokens`` in
process; the views call the same functions.
"""

import logging
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from ..errors import BadPayload
from ..errors import InsecureMode
from ..errors import InvalidParameter
from ..errors import NotFound
from ..extensions import db
from ..extensions import utcnow
from ..paging import PageRequest
from ..paging import paginate
from ..registry.addresses import AddressPolicy
from ..registry.addresses import normalize_address
from ..registry.models import ServiceDefinition
from ..registry.models import ServiceInterface
from ..registry.models import System
from ..registry.records import MAX_ID
from ..security import keys
from ..security import tokens
from .models import AuthorizationRule
from .models import rule_interface

logger = logging.getLogger(__name__)

INSECURE_TOKEN_MESSAGE = "Token generation is not possible in insecure mode."
INSECURE_PUBLIC_KEY_MESSAGE = "Authorization core service runs in insecure mode."


class TokenGenerationFailed(InvalidParameter):
    """No provider of a token request has a usable RSA public key."""

    def __init__(self) -> None:
        super().__init__("Token generation failed for all the provider systems.")


def authorized_interfaces(
    consumer_id: int, service_definition_id: int, provider_ids: Iterable[int]
) -> dict[int, set[int]]:
    """Map each provider the rules allow to the interface ids they allow.

    One SQL statement, whatever the number of providers. Providers without a
    rule for this consumer and service definition are left out.

    :param consumer_id: the consumer's system id.
    :param service_definition_id: the service definition's id.
    :param provider_ids: candidate provider system ids; duplicates are ignored.
    :returns: provider id -> set of interface ids.
    """
    # Larger ids never exist, and SQLite cannot bind integers beyond 64 bits.
    requested_ids = {
        int(provider_id) for provider_id in provider_ids if provider_id <= MAX_ID
    }
    if not requested_ids:
        return {}

    statement = (
        select(AuthorizationRule.provider_system_id, rule_interface.c.interface_id)
        .join(
            rule_interface,
            rule_interface.c.authorization_intra_cloud_id == AuthorizationRule.id,
        )
        .where(
            AuthorizationRule.consumer_system_id == consumer_id,
            AuthorizationRule.service_id == service_definition_id,
            AuthorizationRule.provider_system_id.in_(requested_ids),
        )
    )

    allowed: dict[int, set[int]] = {}
    for provider_id, interface_id in db.session.execute(statement):
        allowed.setdefault(provider_id, set()).add(interface_id)
    return allowed


@dataclass(frozen=True)
class TokenProvider:
    """A provider to issue tokens for, as the token request names it."""

    system_name: str
    address: str
    port: int
    authentication_info: str | None
    interfaces: tuple[str, ...]


@dataclass(frozen=True)
class ProviderTokens:
    """The tokens issued for one provider: interface name -> token."""

    provider: TokenProvider
    tokens: dict[str, str]


def generate_tokens(
    consumer_name: str,
    consumer_cloud: tuple[str, str] | None,
    service_definition: str,
    providers: Sequence[TokenProvider],
    duration_seconds: int | None = None,
) -> list[ProviderTokens]:
    """Issue one token per provider and interface.

    Each token's signature uses the Authorization private key loaded at start-up.

    :param consumer_name: the consumer's system name.
    :param consumer_cloud: ``(name, operator)`` of the consumer's cloud, or None
        for this cloud.
    :param service_definition: the service definition the tokens grant.
    :param providers: the providers with their keys and interface names.
    :param duration_seconds: token lifetime; None means
        ``ARROWHEAD_TOKEN_LIFETIME_SECONDS``; 0 or less issues tokens without
        ``exp``.
    :returns: the tokens of each usable provider, in the order given. Providers
        whose ``authentication_info`` is not an RSA public key of at least 2048
        bits are skipped.
    :raises InsecureMode: in ``ARROWHEAD_TLS_MODE=off`` (500).
    :raises TokenGenerationFailed: when no provider is usable (400).
    """
    return generate_tokens_with_durations(
        consumer_name,
        consumer_cloud,
        service_definition,
        [(provider, duration_seconds) for provider in providers],
    )


def generate_tokens_with_durations(
    consumer_name: str,
    consumer_cloud: tuple[str, str] | None,
    service_definition: str,
    providers: Sequence[tuple[TokenProvider, int | None]],
) -> list[ProviderTokens]:
    """Issue tokens as ``generate_tokens`` does, with a lifetime per provider.

    :param providers: ``(provider, duration_seconds)`` pairs; the duration means
        what ``generate_tokens`` documents.
    :raises InsecureMode: in ``ARROWHEAD_TLS_MODE=off`` (500).
    :raises TokenGenerationFailed: when no provider is usable (400).
    """
    authorization_keys = keys.authorization_keys()
    if authorization_keys is None:
        raise InsecureMode(INSECURE_TOKEN_MESSAGE)

    default_duration = current_app.config["ARROWHEAD_TOKEN_LIFETIME_SECONDS"]
    if consumer_cloud is None:
        consumer_cloud = (
            current_app.config["ARROWHEAD_CLOUD_NAME"],
            current_app.config["ARROWHEAD_CLOUD_OPERATOR"],
        )
    cloud_name, cloud_operator = consumer_cloud
    consumer_id = (
        f"{consumer_name.strip()}.{cloud_name.strip()}.{cloud_operator.strip()}"
    )
    service = service_definition.strip()

    results: list[ProviderTokens] = []
    for provider, duration_seconds in providers:
        try:
            provider_key = keys.public_key_from_base64(provider.authentication_info)
        except ValueError as error:
            logger.warning(
                "Skipped provider %s (%s:%s) for %s tokens: %s",
                provider.system_name,
                provider.address,
                provider.port,
                service,
                error,
            )
            continue

        if duration_seconds is None:
            duration_seconds = default_duration
        issued = {}
        for interface in provider.interfaces:
            claims = tokens.build_claims(
                consumer_id, service, interface, duration_seconds
            )
            issued[interface] = tokens.issue_token(
                claims, authorization_keys.private_key, provider_key
            )
        results.append(ProviderTokens(provider, issued))

    if not results:
        raise TokenGenerationFailed()
    return results


def authorization_public_key() -> str:
    """Return the Authorization public key as Base64 DER SubjectPublicKeyInfo.

    :raises InsecureMode: in ``ARROWHEAD_TLS_MODE=off`` (500).
    """
    authorization_keys = keys.authorization_keys()
    if authorization_keys is None:
        raise InsecureMode(INSECURE_PUBLIC_KEY_MESSAGE)
    return authorization_keys.public_key_base64


SORT_COLUMNS = {
    "id": AuthorizationRule.id,
    "createdAt": AuthorizationRule.created_at,
    "updatedAt": AuthorizationRule.updated_at,
}


def _unique_positive(ids: Iterable[int] | None) -> list[int]:
    """Return the positive ids in their first order, without repeats."""
    return list(dict.fromkeys(i for i in ids or () if i is not None and i > 0))


def create_rules(
    consumer_id: int | None,
    provider_ids: Iterable[int] | None,
    service_definition_ids: Iterable[int] | None,
    interface_ids: Iterable[int] | None,
) -> list[AuthorizationRule]:
    """Create one rule per provider and service definition, in one transaction.

    Every rule allows all of ``interface_ids``. Non-positive ids are dropped, as
    the reference does. Unlike the reference, several providers together with
    several definitions are accepted (their full cross product). A rule that
    already exists for a (consumer, provider, definition) is left unchanged and
    is not in the result. The database's unique constraint decides this, so
    concurrent requests cannot create duplicates.

    :returns: the rules created now, by id.
    :raises BadPayload: when the consumer id is missing or a list is empty.
    :raises NotFound: naming every id that does not exist; nothing is created.
    """
    providers = _unique_positive(provider_ids)
    definitions = _unique_positive(service_definition_ids)
    interfaces = _unique_positive(interface_ids)

    reasons = []
    if consumer_id is None or consumer_id < 1:
        reasons.append("consumerId must be a positive integer")
    if not providers:
        reasons.append("providerIds has no positive id")
    if not definitions:
        reasons.append("serviceDefinitionIds has no positive id")
    if not interfaces:
        reasons.append("interfaceIds has no positive id")
    if reasons:
        raise BadPayload(
            "Payload is invalid due to the following reasons: "
            + ", ".join(reasons)
            + "."
        )

    _check_ids_exist(consumer_id, providers, definitions, interfaces)

    now = utcnow()
    rows = [
        {
            "consumer_system_id": consumer_id,
            "provider_system_id": provider_id,
            "service_id": definition_id,
            "created_at": now,
            "updated_at": now,
        }
        for provider_id in providers
        for definition_id in definitions
    ]
    statement = (
        _insert(AuthorizationRule.__table__)
        .values(rows)
        .on_conflict_do_nothing(
            index_elements=["consumer_system_id", "provider_system_id", "service_id"]
        )
        .returning(AuthorizationRule.__table__.c.id)
    )
    created_ids = list(db.session.execute(statement).scalars())

    if created_ids:
        db.session.execute(
            insert(rule_interface),
            [
                {"authorization_intra_cloud_id": rule_id, "interface_id": interface_id}
                for rule_id in created_ids
                for interface_id in interfaces
            ],
        )
    db.session.commit()

    logger.info(
        "Created %d authorization rules for consumer %s (%d already existed)",
        len(created_ids),
        consumer_id,
        len(rows) - len(created_ids),
    )
    if not created_ids:
        return []
    return list(
        db.session.execute(
            select(AuthorizationRule)
            .where(AuthorizationRule.id.in_(created_ids))
            .order_by(AuthorizationRule.id)
        )
        .unique()
        .scalars()
    )


def _insert(table):
    """Return an INSERT with ``on_conflict_do_nothing`` for the session's database."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(
        f"rule creation supports SQLite and PostgreSQL, not {dialect}"
    )


def _check_ids_exist(
    consumer_id: int,
    provider_ids: list[int],
    definition_ids: list[int],
    interface_ids: list[int],
) -> None:
    """Raise ``NotFound`` naming every id that has no row; three statements."""
    known_systems = _existing_ids(System, [consumer_id, *provider_ids])
    known_definitions = _existing_ids(ServiceDefinition, definition_ids)
    known_interfaces = _existing_ids(ServiceInterface, interface_ids)

    missing = []
    if consumer_id not in known_systems:
        missing.append(f"consumer system {consumer_id}")
    unknown_providers = [i for i in provider_ids if i not in known_systems]
    if unknown_providers:
        missing.append("provider systems " + _join(unknown_providers))
    unknown_definitions = [i for i in definition_ids if i not in known_definitions]
    if unknown_definitions:
        missing.append("service definitions " + _join(unknown_definitions))
    unknown_interfaces = [i for i in interface_ids if i not in known_interfaces]
    if unknown_interfaces:
        missing.append("interfaces " + _join(unknown_interfaces))

    if missing:
        raise NotFound(
            "No rule was created because these ids do not exist: "
            + "; ".join(missing)
            + "."
        )


def _join(ids: Iterable[int]) -> str:
    return ", ".join(str(i) for i in ids)


def list_rules(page_request: PageRequest) -> tuple[list[AuthorizationRule], int]:
    """Return one page of rules and the total number of rules."""
    return paginate(select(AuthorizationRule), page_request, SORT_COLUMNS)


def get_rule(rule_id: int) -> AuthorizationRule:
    """Return the rule with ``rule_id``.

    :raises InvalidParameter: when the id is below 1.
    :raises NotFound: when no rule has this id.
    """
    _check_rule_id(rule_id)
    rule = db.session.get(AuthorizationRule, rule_id)
    if rule is None:
        raise NotFound(f"AuthorizationIntraCloud with id of '{rule_id}' not exists")
    return rule


def delete_rule(rule_id: int) -> None:
    """Delete the rule with ``rule_id`` and its interface links.

    :raises InvalidParameter: when the id is below 1.
    :raises NotFound: when no rule has this id.
    """
    _check_rule_id(rule_id)
    result = db.session.execute(
        delete(AuthorizationRule).where(AuthorizationRule.id == rule_id)
    )
    if result.rowcount == 0:
        db.session.rollback()
        raise NotFound(f"AuthorizationIntraCloud with id of '{rule_id}' not exists")

    db.session.commit()
    logger.info("Deleted authorization rule %s", rule_id)


def _existing_ids(model, ids: Iterable[int]) -> set[int]:
    # Larger ids never exist, and SQLite cannot bind integers beyond 64 bits.
    candidates = {record_id for record_id in ids if record_id <= MAX_ID}
    if not candidates:
        return set()
    statement = select(model.id).where(model.id.in_(candidates))
    return set(db.session.execute(statement).scalars())


def _check_rule_id(rule_id: int) -> None:
    if rule_id < 1:
        raise InvalidParameter(f"Id must be greater than 0, not {rule_id}.")
    if rule_id > MAX_ID:
        raise NotFound(f"AuthorizationIntraCloud with id of '{rule_id}' not exists")


@dataclass(frozen=True)
class CheckResult:
    """The result of an intra-cloud check: provider id -> allowed interface ids."""

    consumer: System
    service_definition_id: int
    allowed: list[tuple[int, list[int]]]


def check_rules(
    consumer_name: str,
    consumer_address: str,
    consumer_port: int,
    service_definition_id: int,
    requested: Sequence[tuple[int, Sequence[int]]],
) -> CheckResult:
    """Return which of the requested provider interfaces the rules allow.

    :param requested: ``(provider id, interface ids)`` pairs, in request order.
    :returns: for each requested provider with at least one allowed interface,
        the allowed ids in request order. Unknown providers are left out.
    :raises NotFound: when the consumer is not registered or the service
        definition does not exist.
    """
    consumer = find_system(consumer_name, consumer_address, consumer_port)
    if consumer is None:
        raise NotFound(
            f"Consumer with name: {consumer_name}, address: {consumer_address} and "
            f"port: {consumer_port} is not exist in the database."
        )
    if (
        service_definition_id > MAX_ID
        or db.session.get(ServiceDefinition, service_definition_id) is None
    ):
        raise NotFound(
            f"Service definition with id of '{service_definition_id}' not exists"
        )

    allowed_by_provider = authorized_interfaces(
        consumer.id,
        service_definition_id,
        (provider_id for provider_id, _ in requested),
    )
    allowed = []
    seen = set()
    for provider_id, interface_ids in requested:
        if provider_id in seen:
            continue
        seen.add(provider_id)

        permitted = allowed_by_provider.get(provider_id, set())
        matching = [i for i in dict.fromkeys(interface_ids) if i in permitted]
        if matching:
            allowed.append((provider_id, matching))
    return CheckResult(consumer, service_definition_id, allowed)


def find_system(name: str, address: str, port: int) -> System | None:
    """Return the registered system with this name, address and port, if any.

    Name and address are compared in their stored (normalised) form.
    """
    normalized_name = name.strip().lower()
    try:
        normalized_address, _ = normalize_address(address, AddressPolicy())
    except ValueError:
        normalized_address = address.strip().lower()

    return db.session.execute(
        select(System).filter_by(
            system_name=normalized_name, address=normalized_address, port=port
        )
    ).scalar_one_or_none()
