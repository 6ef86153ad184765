"""Service Registry queries: candidates for a definition and why each is kept.

The Orchestrator and ``POST /serviceregistry/query`` share this code. One
statement loads every entry of the definition with its definition and provider
(joined), and one more loads their interfaces, whatever the number of entries.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..extensions import utcnow
from .models import ServiceDefinition
from .models import ServiceInterface
from .models import ServiceRegistryEntry
from .ping import reachable_targets

# Reasons a candidate is dropped, in the order the filters run.
WRONG_ADDRESS_TYPE = "address type not accepted"
WRONG_INTERFACE = "no requested interface"
WRONG_SECURITY = "security type not accepted"
WRONG_VERSION = "version not accepted"
WRONG_METADATA = "metadata does not match"
EXPIRED = "end of validity has passed"
NOT_REACHABLE = "provider not reachable"


@dataclass(frozen=True)
class QueryForm:
    """A normalised ServiceQueryFormDTO.

    ``service_definition`` is lower-case and ``interfaces`` upper-case; empty
    tuples and None mean "no requirement".
    """

    service_definition: str
    interfaces: tuple[str, ...] = ()
    security_types: tuple[str, ...] = ()
    metadata: dict[str, str | None] | None = None
    version: int | None = None
    min_version: int | None = None
    max_version: int | None = None
    address_types: tuple[str, ...] = ()
    ping_providers: bool = False
    exclude_expired: bool = False


@dataclass
class Candidate:
    """One registry entry and, if it was dropped, the reason.

    ``interfaces`` holds only the entry's interfaces that the form asked for; the
    entry itself is never modified.
    """

    entry: ServiceRegistryEntry
    interfaces: list[ServiceInterface] = field(default_factory=list)
    reason: str | None = None

    @property
    def kept(self) -> bool:
        return self.reason is None


@dataclass
class QueryResult:
    """ServiceQueryResultDTO: the kept candidates and the count before filtering."""

    hits: list[Candidate]
    unfiltered_hits: int


def load_entries(service_definition: str) -> list[ServiceRegistryEntry]:
    """Return every entry of ``service_definition`` in registry (id) order."""
    statement = (
        select(ServiceRegistryEntry)
        .join(ServiceRegistryEntry.service_definition)
        .where(ServiceDefinition.service_definition == service_definition)
        .order_by(ServiceRegistryEntry.id)
    )
    return list(db.session.execute(statement).unique().scalars().all())


def evaluate(form: QueryForm, now: datetime | None = None) -> list[Candidate]:
    """Run every filter of ``form`` and return all candidates with their reasons."""
    now = now or utcnow()
    candidates = [
        Candidate(entry, list(entry.interfaces))
        for entry in load_entries(form.service_definition)
    ]

    for candidate in candidates:
        candidate.reason = _static_reason(form, candidate, now)

    if form.ping_providers:
        _drop_unreachable(candidates)
    return candidates


def query(form: QueryForm) -> QueryResult:
    """Return the entries that meet every requirement of ``form``."""
    candidates = evaluate(form)
    hits = [candidate for candidate in candidates if candidate.kept]
    return QueryResult(hits=hits, unfiltered_hits=len(candidates))


def _static_reason(form: QueryForm, candidate: Candidate, now: datetime) -> str | None:
    entry = candidate.entry

    if form.address_types and entry.provider.address_type not in form.address_types:
        return WRONG_ADDRESS_TYPE

    if form.interfaces:
        requested = set(form.interfaces)
        candidate.interfaces = [
            interface
            for interface in candidate.interfaces
            if interface.interface_name in requested
        ]
        if not candidate.interfaces:
            return WRONG_INTERFACE

    if form.security_types and entry.secure not in form.security_types:
        return WRONG_SECURITY

    if not _version_matches(form, entry.version):
        return WRONG_VERSION

    if not _metadata_matches(form.metadata, entry.metadata_ or {}):
        return WRONG_METADATA

    if form.exclude_expired and entry.end_of_validity and entry.end_of_validity < now:
        return EXPIRED
    return None


def _version_matches(form: QueryForm, version: int) -> bool:
    if form.version is not None:
        return version == form.version
    if form.min_version is None and form.max_version is None:
        return True

    minimum = form.min_version if form.min_version is not None else 1
    if version < minimum:
        return False
    return form.max_version is None or version <= form.max_version


def _metadata_matches(required: dict | None, actual: dict) -> bool:
    if not required:
        return True
    for key, value in required.items():
        if value is None:
            continue
        if actual.get(key.strip()) != value.strip():
            return False
    return True


def _drop_unreachable(candidates: list[Candidate]) -> None:
    kept = [candidate for candidate in candidates if candidate.kept]
    targets = {(c.entry.provider.address, c.entry.provider.port) for c in kept}
    reachable = reachable_targets(
        targets,
        current_app.config["ARROWHEAD_PING_TIMEOUT_MS"],
        current_app.config["ARROWHEAD_PING_MAX_WORKERS"],
    )
    for candidate in kept:
        provider = candidate.entry.provider
        if (provider.address, provider.port) not in reachable:
            candidate.reason = NOT_REACHABLE
