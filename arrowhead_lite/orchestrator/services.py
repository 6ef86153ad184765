"""Orchestration: from a consumer's request to the providers it may use.

The flow of one dynamic orchestration:

1. the registry candidates of the requested service (``registry.query.evaluate``,
   expired entries excluded), with the requirements and the address and ping flags;
2. only the providers and interfaces an authorization rule allows for the requester;
3. ``onlyPreferred``, then ranking (preferred providers first, in the order the
   request lists them, then registry order) and ``matchmaking`` (the first);
4. tokens for ``TOKEN`` results, one Authorization call per service definition.

Every dropped candidate keeps the reason it was dropped, which ``explain`` reports.
Candidates and their authorizations cost a fixed number of SQL statements, whatever
the number of candidates.
"""

import logging
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..authorization import services as authorization
from ..errors import BadPayload
from ..errors import InvalidParameter
from ..errors import NotFound
from ..extensions import db
from ..extensions import utcnow
from ..registry.addresses import AddressPolicy
from ..registry.addresses import normalize_address
from ..registry.models import ServiceDefinition
from ..registry.models import ServiceInterface
from ..registry.models import ServiceRegistryEntry
from ..registry.models import System
from ..registry.query import Candidate
from ..registry.query import QueryForm
from ..registry.query import evaluate
from ..registry.validation import to_query_form
from .models import StoreRule
from .schemas import FLAG_NAMES
from .schemas import MAX_ID

logger = logging.getLogger(__name__)

# Reasons the Orchestrator drops a registry candidate, after the registry's own.
NO_AUTHORIZATION_RULE = "no authorization rule"
NO_AUTHORIZED_INTERFACE = "authorization rule allows none of the requested interfaces"
NOT_PREFERRED = "not preferred"
CUT_BY_MATCHMAKING = "cut by matchmaking"
NO_USABLE_PUBLIC_KEY = "no usable public key for a TOKEN service"
NO_STORE_RULE = "no store rule"
LOWER_STORE_PRIORITY = "a store rule of higher priority was used"

TTL_UNKNOWN = "TTL_UNKNOWN"
TTL_EXPIRING = "TTL_EXPIRING"
TTL_EXPIRED = "TTL_EXPIRED"
EXPIRING_WITHIN = timedelta(minutes=2)

DYNAMIC = "dynamic"
STORE = "store"

NO_GATEKEEPER = "Orchestrator runs in NO GATEKEEPER mode"


@dataclass
class OrchestrationResult:
    """OrchestrationResultDTO before serialisation."""

    candidate: Candidate
    interfaces: list[ServiceInterface]
    warnings: list[str]
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def entry(self) -> ServiceRegistryEntry:
        return self.candidate.entry


@dataclass
class Outcome:
    """An orchestration's results and every candidate considered on the way."""

    mode: str
    requester: System
    results: list[OrchestrationResult]
    candidates: list[Candidate]
    service_definition: str | None = None


@dataclass(frozen=True)
class SystemKey:
    """A system's identity: lower-case name, normalised address and port."""

    system_name: str
    address: str
    port: int

    @classmethod
    def of(cls, system: System) -> "SystemKey":
        return cls(system.system_name.lower(), system.address.lower(), system.port)

    @classmethod
    def from_request(cls, data: dict) -> "SystemKey":
        return cls(
            data["system_name"].strip().lower(),
            normalized_address(data["address"]),
            data["port"],
        )


def normalized_address(text: str) -> str:
    """Return ``text`` as the registry stores addresses, or trimmed lower-case.

    An address the registry would reject cannot match a stored system, so it is
    compared as given instead of failing the request.
    """
    try:
        address, _ = normalize_address(text, AddressPolicy())
    except ValueError:
        return text.strip().lower()
    return address


def orchestrate(form: dict, *, now: datetime | None = None) -> Outcome:
    """Run one orchestration request as dispatched by its flags.

    :param form: an ``OrchestrationFormSchema`` load result.
    :returns: the results and every candidate with the reason it was dropped.
    :raises BadPayload: when the request breaks a cross-field rule.
    :raises InvalidParameter: for an inter-cloud request or an unknown requester.
    """
    now = now or utcnow()
    flags = form["flags"]
    validate_form(form)

    if flags["externalServiceRequest"]:
        raise InvalidParameter(
            f"External service request can not be served. {NO_GATEKEEPER}."
        )
    if flags["triggerInterCloud"]:
        raise InvalidParameter(
            f"Inter-cloud orchestration can not be served. {NO_GATEKEEPER}."
        )

    requester = find_requester(form["requester_system"])
    if flags["overrideStore"]:
        return dynamic_orchestration(form, requester, now)
    return store_orchestration(form, requester, now)


def validate_form(form: dict) -> None:
    """Apply the cross-field rules of an orchestration form.

    :raises BadPayload: naming the rule the form breaks.
    """
    flags = form["flags"]
    requested = form.get("requested_service")

    for flag in ("overrideStore", "triggerInterCloud"):
        if flags[flag] and requested is None:
            raise BadPayload(f'Requested service can not be null when "{flag}" is TRUE')

    if flags["onlyPreferred"] and not local_preferred_providers(form):
        raise BadPayload(
            'There is no valid preferred provider, but "onlyPreferred" is set to true'
        )

    if (
        flags["enableQoS"]
        and "qosExclusivity" in form["commands"]
        and not flags["matchmaking"]
    ):
        raise BadPayload(
            'The "qosExclusivity" command needs "matchmaking" to be set to true.'
        )

    if not flags["overrideStore"] and requested is not None:
        interfaces = [
            name for name in requested.get("interfaces") or [] if name and name.strip()
        ]
        if not interfaces:
            raise BadPayload(
                "InterfaceRequirement is null or blank: store orchestration with a "
                "requested service needs exactly one interface requirement."
            )
        if len(interfaces) > 1:
            raise BadPayload(
                "InterfaceRequirement must not have more than one element in store "
                "orchestration."
            )


def is_local_cloud(cloud: dict | None) -> bool:
    """Tell whether a CloudRequestDTO is absent or names this server's cloud."""
    if cloud is None:
        return True

    own_cloud = (
        current_app.config["ARROWHEAD_CLOUD_NAME"].lower(),
        current_app.config["ARROWHEAD_CLOUD_OPERATOR"].lower(),
    )
    return (cloud["name"].strip().lower(), cloud["operator"].strip().lower()) == (
        own_cloud
    )


def local_preferred_providers(form: dict) -> list[SystemKey]:
    """Return the preferred providers of this cloud, in the request's order.

    A preferred provider without ``providerCloud``, or with this server's cloud,
    is local. Providers of other clouds need a Gatekeeper and are ignored.
    """
    return [
        SystemKey.from_request(preferred["provider_system"])
        for preferred in form["preferred_providers"]
        if is_local_cloud(preferred.get("provider_cloud"))
    ]


def find_requester(system: dict) -> System:
    """Return the registered system a request names as its requester.

    The system is found by name, address and port. Failing that, the only
    registered system with that name is used, because some clients send a
    default address and port.

    :raises InvalidParameter: naming the requester when no single system matches.
    """
    key = SystemKey.from_request(system)
    statement = (
        select(System).where(System.system_name == key.system_name).order_by(System.id)
    )
    namesakes = list(db.session.execute(statement).scalars().all())

    for candidate in namesakes:
        if SystemKey.of(candidate) == key:
            return candidate
    if len(namesakes) == 1:
        return namesakes[0]

    requester = f"{key.system_name} ({key.address}:{key.port})"
    if not namesakes:
        raise InvalidParameter(
            f"Requester system {requester} is not registered; register it with "
            "/serviceregistry/register-system first."
        )
    raise InvalidParameter(
        f"Requester system {requester} is not registered, and {len(namesakes)} "
        f"systems are named {key.system_name}; send the address and port of one."
    )


def build_query_form(requested: dict, flags: dict) -> QueryForm:
    """Turn a ``requestedService`` and the flags into a registry query.

    ``metadataRequirements`` apply only with ``metadataSearch``; the address flags
    replace ``providerAddressTypeRequirements``; ``pingProviders`` comes from the
    flags. Expired entries are never offered.

    :raises BadPayload: when the service definition is blank or invalid.
    """
    form = to_query_form(requested)
    return replace(
        form,
        interfaces=tuple(name for name in form.interfaces if name),
        security_types=tuple(dict.fromkeys(form.security_types)),
        metadata=form.metadata if flags["metadataSearch"] else None,
        address_types=address_types(requested, flags),
        ping_providers=flags["pingProviders"],
        exclude_expired=True,
    )


def address_types(requested: dict, flags: dict) -> tuple[str, ...]:
    """Return the provider address types the flags or the request accept."""
    types: list[str] = []
    if flags["onlyIPAddressResponse"]:
        types += ["IPV4", "IPV6"]
    if flags["onlyIPv4AddressResponse"]:
        types.append("IPV4")
    if flags["onlyIPv6AddressResponse"]:
        types.append("IPV6")
    if not types:
        types = list(requested.get("address_types") or ())
    return tuple(dict.fromkeys(types))


def dynamic_orchestration(form: dict, requester: System, now: datetime) -> Outcome:
    """Orchestrate from the registry: the ``overrideStore`` path."""
    flags = form["flags"]
    query_form = build_query_form(form["requested_service"], flags)
    candidates = evaluate(query_form, now)
    apply_authorization(candidates, requester)

    preferred = local_preferred_providers(form)
    if flags["onlyPreferred"]:
        for candidate in kept(candidates):
            if SystemKey.of(candidate.entry.provider) not in preferred:
                candidate.reason = NOT_PREFERRED

    ranked = rank(kept(candidates), preferred)
    # NOTE: matchmaking cuts before tokens are issued, so when the first ranked
    # provider is a TOKEN provider without a usable key the response is empty
    # although a later provider could serve.
    if flags["matchmaking"]:
        for candidate in ranked[1:]:
            candidate.reason = CUT_BY_MATCHMAKING
        ranked = ranked[:1]

    results = [build_result(candidate, now) for candidate in ranked]
    results = attach_tokens(results, form)
    return Outcome(
        DYNAMIC, requester, results, candidates, query_form.service_definition
    )


def kept(candidates: list[Candidate]) -> list[Candidate]:
    """Return the candidates not dropped so far, in their order."""
    return [candidate for candidate in candidates if candidate.kept]


def rank(candidates: list[Candidate], preferred: list[SystemKey]) -> list[Candidate]:
    """Order preferred providers first, in the request's order, then the others.

    The sort is stable, so entries keep registry order within each rank.
    """
    position = {key: index for index, key in reversed(list(enumerate(preferred)))}
    return sorted(
        candidates,
        key=lambda candidate: position.get(
            SystemKey.of(candidate.entry.provider), len(preferred)
        ),
    )


def apply_authorization(candidates: list[Candidate], requester: System) -> None:
    """Drop the candidates and interfaces no authorization rule allows.

    All candidates share one service definition; their rules are read at once.
    """
    remaining = kept(candidates)
    if not remaining:
        return

    service_definition_id = remaining[0].entry.service_id
    provider_ids = sorted({candidate.entry.system_id for candidate in remaining})
    allowed = authorization.authorized_interfaces(
        requester.id, service_definition_id, provider_ids
    )

    for candidate in remaining:
        interface_ids = allowed.get(candidate.entry.system_id)
        if interface_ids is None:
            candidate.reason = NO_AUTHORIZATION_RULE
            continue

        candidate.interfaces = [
            interface
            for interface in candidate.interfaces
            if interface.id in interface_ids
        ]
        if not candidate.interfaces:
            candidate.reason = NO_AUTHORIZED_INTERFACE


def build_result(candidate: Candidate, now: datetime) -> OrchestrationResult:
    """Return the result for a kept candidate, with its TTL warnings."""
    return OrchestrationResult(
        candidate=candidate,
        interfaces=list(candidate.interfaces),
        warnings=ttl_warnings(candidate.entry.end_of_validity, now),
    )


def ttl_warnings(end_of_validity: datetime | None, now: datetime) -> list[str]:
    """Return ``TTL_UNKNOWN``, ``TTL_EXPIRED`` or ``TTL_EXPIRING`` as they apply.

    ``TTL_EXPIRING`` marks entries that expire within two minutes. Expired
    entries are excluded from orchestration, so ``TTL_EXPIRED`` only appears if
    an entry expires between the query and this check.
    """
    if end_of_validity is None:
        return [TTL_UNKNOWN]
    if end_of_validity < now:
        return [TTL_EXPIRED]
    if end_of_validity <= now + EXPIRING_WITHIN:
        return [TTL_EXPIRING]
    return []


def attach_tokens(
    results: list[OrchestrationResult], form: dict
) -> list[OrchestrationResult]:
    """Fill ``tokens`` of the ``TOKEN`` results; return the results that keep one.

    One Authorization call per service definition. A ``TOKEN`` result whose
    provider has no usable public key gets no token and is dropped with the reason
    ``NO_USABLE_PUBLIC_KEY``, so a provider with a bad key does not fail the
    orchestration. In ``ARROWHEAD_TLS_MODE=off`` no tokens are issued and
    ``TOKEN`` results carry an empty token map, as in the reference's insecure
    mode.
    """
    if current_app.config["ARROWHEAD_TLS_MODE"] == "off":
        return results

    groups: dict[str, list[OrchestrationResult]] = {}
    for result in results:
        if result.entry.secure == "TOKEN":
            definition = result.entry.service_definition.service_definition
            groups.setdefault(definition, []).append(result)

    for definition, group in groups.items():
        issued = issue_tokens(definition, group, form)
        for result in group:
            tokens = issued.get(SystemKey.of(result.entry.provider), {})
            result.tokens = {
                interface.interface_name: tokens[interface.interface_name]
                for interface in result.interfaces
                if interface.interface_name in tokens
            }
            if not result.tokens:
                result.candidate.reason = NO_USABLE_PUBLIC_KEY
                logger.warning(
                    "Dropped provider %s (service registry entry %d) of %s: no "
                    "token could be issued with its authenticationInfo",
                    result.entry.provider.system_name,
                    result.entry.id,
                    definition,
                )

    return [result for result in results if result.candidate.kept]


def issue_tokens(
    definition: str, results: list[OrchestrationResult], form: dict
) -> dict[SystemKey, dict[str, str]]:
    """Issue the tokens of one service definition's results, keyed by provider."""
    providers: dict[int, authorization.TokenProvider] = {}
    interfaces: dict[int, list[str]] = {}
    for result in results:
        provider = result.entry.provider
        names = interfaces.setdefault(provider.id, [])
        for interface in result.interfaces:
            if interface.interface_name not in names:
                names.append(interface.interface_name)

    for result in results:
        provider = result.entry.provider
        providers[provider.id] = authorization.TokenProvider(
            system_name=provider.system_name,
            address=provider.address,
            port=provider.port,
            authentication_info=provider.authentication_info or "",
            interfaces=tuple(interfaces[provider.id]),
        )

    requester = form["requester_system"]
    try:
        issued = authorization.generate_tokens(
            requester["system_name"].strip().lower(),
            consumer_cloud(form.get("requester_cloud")),
            definition,
            list(providers.values()),
        )
    except authorization.TokenGenerationFailed as error:
        logger.warning("No token issued for %s: %s", definition, error)
        return {}

    return {
        SystemKey(
            item.provider.system_name.lower(),
            item.provider.address.lower(),
            item.provider.port,
        ): dict(item.tokens)
        for item in issued
    }


def consumer_cloud(cloud: dict | None) -> tuple[str, str] | None:
    """Return the requester's cloud as ``(name, operator)`` for the token's ``cid``."""
    if cloud is None:
        return None
    return cloud["name"].strip().lower(), cloud["operator"].strip().lower()


def store_orchestration(form: dict, requester: System, now: datetime) -> Outcome:
    """Orchestrate from the store rules: the default path."""
    requested = form.get("requested_service")
    if requested is None:
        return top_priority_orchestration(requester, form, now)
    return requested_store_orchestration(form, requester, now)


def top_priority_orchestration(requester: System, form: dict, now: datetime) -> Outcome:
    """Return every provider of the requester's priority-1 store rules.

    One registry query and one authorization lookup per service definition of
    those rules; every authorised result is returned.
    """
    flags = form["flags"]
    statement = (
        select(StoreRule)
        .where(
            StoreRule.consumer_system_id == requester.id,
            StoreRule.priority == 1,
            StoreRule.foreign_.is_(False),
        )
        .order_by(StoreRule.id)
    )
    rules = db.session.execute(statement).unique().scalars().all()

    allowed: dict[str, dict[int, set[str]]] = {}
    for rule in rules:
        definition = rule.service_definition.service_definition
        per_provider = allowed.setdefault(definition, {})
        per_provider.setdefault(rule.provider_system_id, set()).add(
            rule.service_interface.interface_name
        )

    all_candidates: list[Candidate] = []
    results: list[OrchestrationResult] = []
    for definition, per_provider in allowed.items():
        interface_names = sorted(set().union(*per_provider.values()))
        query_form = QueryForm(
            service_definition=definition,
            interfaces=tuple(interface_names),
            address_types=address_types({}, flags),
            ping_providers=flags["pingProviders"],
            exclude_expired=True,
        )
        candidates = evaluate(query_form, now)
        apply_store_rules(candidates, per_provider)
        apply_authorization(candidates, requester)
        all_candidates += candidates
        results += [build_result(candidate, now) for candidate in kept(candidates)]

    results = attach_tokens(results, form)
    return Outcome(STORE, requester, results, all_candidates)


def apply_store_rules(
    candidates: list[Candidate], per_provider: dict[int, set[str]]
) -> None:
    """Keep the candidates and interfaces that a store rule names."""
    for candidate in kept(candidates):
        names = per_provider.get(candidate.entry.system_id, set())
        candidate.interfaces = [
            interface
            for interface in candidate.interfaces
            if interface.interface_name in names
        ]
        if not candidate.interfaces:
            candidate.reason = NO_STORE_RULE


def requested_store_orchestration(
    form: dict, requester: System, now: datetime
) -> Outcome:
    """Return the provider of the highest-priority store rule that works.

    The rules for the requester, service and interface are tried in priority
    order. The result is the first rule's provider that the registry offers and
    an authorization rule allows, and that gets a token if the service is
    ``TOKEN``.
    """
    requested = form["requested_service"]
    query_form = build_query_form(requested, form["flags"])
    definition, interface = find_definition_and_interface(
        query_form.service_definition, query_form.interfaces[0]
    )

    statement = (
        select(StoreRule.provider_system_id, StoreRule.priority)
        .where(
            StoreRule.consumer_system_id == requester.id,
            StoreRule.service_id == definition.id,
            StoreRule.service_interface_id == interface.id,
            StoreRule.foreign_.is_(False),
        )
        .order_by(StoreRule.priority)
    )
    priorities = {
        provider_id: priority
        for provider_id, priority in db.session.execute(statement).all()
    }

    candidates = evaluate(query_form, now)
    apply_store_rules(
        candidates,
        {provider_id: {interface.interface_name} for provider_id in priorities},
    )
    apply_authorization(candidates, requester)

    ordered = sorted(
        kept(candidates),
        key=lambda candidate: priorities[candidate.entry.system_id],
    )
    results: list[OrchestrationResult] = []
    for candidate in ordered:
        if results:
            candidate.reason = LOWER_STORE_PRIORITY
            continue
        results = attach_tokens([build_result(candidate, now)], form)

    return Outcome(STORE, requester, results, candidates, query_form.service_definition)


def find_definition_and_interface(
    definition_name: str, interface_name: str
) -> tuple[ServiceDefinition, ServiceInterface]:
    """Return the stored definition and interface of a store request.

    :raises InvalidParameter: naming the definition or interface that is unknown.
    """
    definition = db.session.execute(
        select(ServiceDefinition).where(
            ServiceDefinition.service_definition == definition_name
        )
    ).scalar_one_or_none()
    if definition is None:
        raise InvalidParameter(
            f"Service definition {definition_name} is not available in the database."
        )

    interface = db.session.execute(
        select(ServiceInterface).where(
            ServiceInterface.interface_name == interface_name
        )
    ).scalar_one_or_none()
    if interface is None:
        raise InvalidParameter(
            f"Service interface {interface_name} is not available in the database."
        )
    return definition, interface


def find_consumer(system_id: int) -> System:
    """Return the system with ``system_id``.

    :raises InvalidParameter: when no system has that id.
    """
    consumer = db.session.get(System, system_id) if system_id <= MAX_ID else None
    if consumer is None:
        raise NotFound(f"System with id {system_id} not found.")
    return consumer


def orchestrate_consumer(consumer: System, *, now: datetime | None = None) -> Outcome:
    """Run the top-priority store orchestration for a consumer, all flags off."""
    form = {
        "requester_system": {
            "system_name": consumer.system_name,
            "address": consumer.address,
            "port": consumer.port,
        },
        "requester_cloud": None,
        "flags": {name: False for name in FLAG_NAMES},
        "preferred_providers": [],
        "commands": {},
    }
    return top_priority_orchestration(consumer, form, now or utcnow())
