"""Orchestrator store rules and their priorities.

Rules form groups of (consumer, service definition, interface); priority 1 is
tried first. Two unique constraints guard a group: one on the priority and one on
the provider. Priority changes lock the consumer's rules (``SELECT ... FOR
UPDATE`` on PostgreSQL), move the changed rows to negative priorities and then to
their final values, so no UPDATE statement passes through a state that violates
the priority constraint.
"""

import logging
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case
from sqlalchemy import false
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from ..errors import BadPayload
from ..errors import Duplicate
from ..errors import InvalidParameter
from ..errors import NotFound
from ..extensions import db
from ..paging import PageRequest
from ..paging import paginate
from ..registry.models import ServiceDefinition
from ..registry.models import ServiceInterface
from ..registry.models import System
from ..registry.names import normalize_interface_name
from ..registry.names import normalize_service_definition
from ..registry.schemas import SystemResponseSchema
from .models import StoreRule
from .schemas import MAX_ID
from .services import SystemKey
from .services import is_local_cloud

logger = logging.getLogger(__name__)

SORTABLE_FIELDS = ("id", "updatedAt", "createdAt", "priority")
SORT_COLUMNS = {
    "id": StoreRule.id,
    "updatedAt": StoreRule.updated_at,
    "createdAt": StoreRule.created_at,
    "priority": StoreRule.priority,
}


@dataclass(frozen=True)
class GroupKey:
    """The rules that compete by priority: one consumer, definition and interface."""

    consumer_id: int
    service_id: int
    interface_id: int

    @classmethod
    def of(cls, rule: StoreRule) -> "GroupKey":
        return cls(rule.consumer_system_id, rule.service_id, rule.service_interface_id)


def list_rules(
    page_request: PageRequest, *, top_priority: bool = False
) -> tuple[list[StoreRule], int]:
    """Return one page of store rules and the total count.

    :param top_priority: only the rules with priority 1.
    """
    statement = select(StoreRule)
    if top_priority:
        statement = statement.where(StoreRule.priority == 1)
    rules, total = paginate(statement, page_request, SORT_COLUMNS)
    attach_providers(rules)
    return rules, total


def rules_by_consumer(
    query: dict, page_request: PageRequest
) -> tuple[list[StoreRule], int]:
    """Return one page of a consumer's rules for a definition and maybe an interface.

    :raises InvalidParameter: when the consumer, definition or interface is unknown.
    """
    consumer_id = query["consumer_system_id"]
    if db.session.get(System, consumer_id) is None:
        raise NotFound(f"Consumer system with id {consumer_id} not found.")

    definition = _find_definition(query["service_definition"])
    statement = select(StoreRule).where(
        StoreRule.consumer_system_id == consumer_id,
        StoreRule.service_id == definition.id,
    )

    interface_name = query.get("service_interface")
    if interface_name is not None and interface_name.strip():
        interface = _find_interface(interface_name)
        statement = statement.where(StoreRule.service_interface_id == interface.id)

    rules, total = paginate(statement, page_request, SORT_COLUMNS)
    attach_providers(rules)
    return rules, total


def get_rule(rule_id: int) -> StoreRule:
    """Return one store rule.

    :raises InvalidParameter: when the id is below 1 or no rule has it.
    """
    if rule_id < 1:
        raise InvalidParameter(f"Store rule id must be at least 1, not {rule_id}.")

    rule = db.session.get(StoreRule, rule_id) if rule_id <= MAX_ID else None
    if rule is None:
        raise NotFound(f"Store rule with id {rule_id} not found.")
    attach_providers([rule])
    return rule


def attach_providers(rules: list[StoreRule]) -> None:
    """Set ``provider_dump`` on each rule, reading the providers in one statement.

    A provider deleted from the registry is shown as ``unknown-<id>``, as the
    reference does, because the store keeps no foreign key to it.
    """
    provider_ids = {rule.provider_system_id for rule in rules}
    providers = {}
    if provider_ids:
        statement = select(System).where(System.id.in_(provider_ids))
        providers = {
            system.id: system for system in db.session.execute(statement).scalars()
        }

    schema = SystemResponseSchema()
    for rule in rules:
        provider = providers.get(rule.provider_system_id)
        if provider is not None:
            rule.provider_dump = schema.dump(provider)
        else:
            rule.provider_dump = {
                "id": rule.provider_system_id,
                "systemName": f"unknown-{rule.provider_system_id}",
                "address": "",
                "port": 0,
                "authenticationInfo": "",
                "metadata": {},
            }


def create_rules(items: list[dict]) -> list[StoreRule]:
    """Store a list of rules in one transaction, or none of them.

    The first rule of a group gets priority 1. A rule whose requested priority is
    taken is inserted there, and the rules at and after it move down by one.
    Any other rule is appended after the group's last rule.

    :param items: ``StoreRuleRequestSchema`` load results.
    :returns: the created rules, in request order.
    :raises BadPayload: naming every element that cannot be stored; then nothing
        is stored.
    """
    if not items:
        raise BadPayload("The store rule list is empty.")

    resolved, errors = _resolve_items(items)
    if errors:
        raise BadPayload(
            "No store rule was stored because of invalid elements: " + "; ".join(errors)
        )

    with _write_transaction("store rules"):
        consumer_ids = {item.group.consumer_id for item in resolved}
        existing = _lock_consumer_rules(consumer_ids)
        groups: dict[GroupKey, dict[int, object]] = {}
        for rule in existing:
            groups.setdefault(GroupKey.of(rule), {})[rule.priority] = rule

        errors = []
        for index, item in enumerate(resolved):
            if any(
                isinstance(member, StoreRule)
                and member.provider_system_id == item.provider.id
                for member in groups.get(item.group, {}).values()
            ):
                errors.append(
                    f"element {index}: a rule for provider {item.provider.system_name} "
                    "already exists for this consumer, service and interface"
                )
        if errors:
            raise BadPayload(
                "No store rule was stored because of invalid elements: "
                + "; ".join(errors)
            )

        for item in resolved:
            slots = groups.setdefault(item.group, {})
            _place(slots, item, item.priority)

        for group, slots in groups.items():
            changes = {
                member.id: priority
                for priority, member in slots.items()
                if isinstance(member, StoreRule) and member.priority != priority
            }
            _set_priorities(changes)
            for priority, member in slots.items():
                if isinstance(member, _ResolvedItem):
                    member.rule = StoreRule(
                        consumer_system_id=group.consumer_id,
                        provider_system_id=member.provider.id,
                        foreign_=False,
                        service_id=group.service_id,
                        service_interface_id=group.interface_id,
                        priority=priority,
                        attribute=member.attribute,
                    )
                    db.session.add(member.rule)

    ids = [item.rule.id for item in resolved]
    rules = _load_rules(ids)
    logger.info("Stored %d store rules: ids %s", len(rules), ids)
    return rules


@dataclass
class _ResolvedItem:
    group: GroupKey
    provider: System
    priority: int
    attribute: dict | None
    rule: StoreRule | None = None


def _place(slots: dict[int, object], item: _ResolvedItem, priority: int) -> None:
    if not slots:
        slots[1] = item
        return

    if priority not in slots:
        slots[max(slots) + 1] = item
        return

    for taken in sorted((p for p in slots if p >= priority), reverse=True):
        slots[taken + 1] = slots.pop(taken)
    slots[priority] = item


def _resolve_items(items: list[dict]) -> tuple[list[_ResolvedItem], list[str]]:
    strict = current_app.config["ARROWHEAD_STRICT_SERVICE_DEFINITIONS"]
    consumer_ids = {item["consumer_system_id"] for item in items}
    consumers = _load_by_ids(System, consumer_ids)

    definition_names: dict[int, str] = {}
    interface_names: dict[int, str] = {}
    errors: list[str] = []
    for index, item in enumerate(items):
        try:
            definition_names[index] = normalize_service_definition(
                item["service_definition"], strict=strict
            )
        except ValueError as error:
            errors.append(f"element {index}: {error}")
        try:
            interface_names[index] = normalize_interface_name(item["service_interface"])
        except ValueError as error:
            errors.append(f"element {index}: {error}")

    definitions = _load_by_names(
        ServiceDefinition,
        ServiceDefinition.service_definition,
        set(definition_names.values()),
    )
    interfaces = _load_by_names(
        ServiceInterface,
        ServiceInterface.interface_name,
        set(interface_names.values()),
    )
    providers = _load_providers([item["provider_system"] for item in items])

    resolved: list[_ResolvedItem] = []
    seen: set[tuple[GroupKey, int]] = set()
    for index, item in enumerate(items):
        problems = []
        consumer = consumers.get(item["consumer_system_id"])
        if consumer is None:
            problems.append(
                f"consumer system with id {item['consumer_system_id']} not found"
            )

        definition = definitions.get(definition_names.get(index))
        if index in definition_names and definition is None:
            problems.append(
                f"service definition {definition_names[index]} is not registered"
            )

        interface = interfaces.get(interface_names.get(index))
        if index in interface_names and interface is None:
            problems.append(f"interface {interface_names[index]} is not registered")

        key = SystemKey.from_request(item["provider_system"])
        provider = providers.get(key)
        if provider is None:
            problems.append(
                f"provider {key.system_name} ({key.address}:{key.port}) is not "
                "registered"
            )

        if item["priority"] < 1:
            problems.append(f"priority {item['priority']} is below 1")

        cloud = item.get("cloud")
        if not is_local_cloud(cloud):
            problems.append(
                f"cloud {cloud['name']}.{cloud['operator']} is not this cloud, and "
                "rules for other clouds need a Gatekeeper"
            )

        if problems or definition is None or interface is None:
            errors += [f"element {index}: {problem}" for problem in problems]
            continue

        group = GroupKey(consumer.id, definition.id, interface.id)
        if (group, provider.id) in seen:
            errors.append(
                f"element {index}: repeats the rule for provider "
                f"{provider.system_name} of an earlier element"
            )
            continue
        seen.add((group, provider.id))
        resolved.append(
            _ResolvedItem(group, provider, item["priority"], item.get("attribute"))
        )

    return resolved, errors


def _load_by_ids(model, ids: set[int]) -> dict:
    if not ids:
        return {}
    statement = select(model).where(model.id.in_(ids))
    return {row.id: row for row in db.session.execute(statement).scalars()}


def _load_by_names(model, column, names: set[str]) -> dict:
    if not names:
        return {}
    statement = select(model).where(column.in_(names))
    return {
        getattr(row, column.key): row for row in db.session.execute(statement).scalars()
    }


def _load_providers(systems: list[dict]) -> dict[SystemKey, System]:
    names = {system["system_name"].strip().lower() for system in systems}
    statement = select(System).where(System.system_name.in_(names))
    return {
        SystemKey.of(system): system
        for system in db.session.execute(statement).scalars()
    }


def _lock_consumer_rules(consumer_ids: set[int]) -> list[StoreRule]:
    """Lock the consumers' store rules for this transaction and return them fresh.

    PostgreSQL locks the consumer systems' rows, which also serialises the first
    rules of a consumer, when no rule row exists to lock yet. SQLite has no row
    locks, so a no-op UPDATE takes the database write lock before the read.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(StoreRule)
            .where(false())
            .values(priority=StoreRule.priority)
            .execution_options(synchronize_session=False)
        )
    else:
        db.session.execute(
            select(System.id)
            .where(System.id.in_(consumer_ids))
            .order_by(System.id)
            .with_for_update()
        )

    # PostgreSQL cannot lock the outer-joined eager loads, so they are left out.
    statement = (
        select(StoreRule)
        .options(lazyload("*"))
        .where(StoreRule.consumer_system_id.in_(consumer_ids))
        .order_by(StoreRule.id)
        .with_for_update(of=StoreRule)
        .execution_options(populate_existing=True)
    )
    return list(db.session.execute(statement).unique().scalars().all())


def _set_priorities(changes: dict[int, int]) -> None:
    """Give rules new priorities in two statements that never collide.

    The first statement moves the changed rows to negative priorities, which no
    other row uses. The second sets the final values, which are unique within
    the group once the changed rows have left their old ones.
    """
    if not changes:
        return

    ids = list(changes)
    db.session.execute(
        update(StoreRule)
        .where(StoreRule.id.in_(ids))
        .values(priority=-StoreRule.priority)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(StoreRule)
        .where(StoreRule.id.in_(ids))
        .values(priority=case(changes, value=StoreRule.id))
        .execution_options(synchronize_session=False)
    )


@contextmanager
def _write_transaction(records: str):
    """Commit the block's changes, turning a constraint violation into a 400.

    After the validation and locks, a violation means a concurrent request
    changed the same rules, so the error message asks the client to retry.
    """
    try:
        yield
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        logger.warning("Storing %s violated a constraint: %s", records, error.orig)
        raise Duplicate(
            f"The {records} conflict with rules stored at the same time; retry the "
            "request."
        ) from None


def _load_rules(ids: list[int]) -> list[StoreRule]:
    if not ids:
        return []
    statement = (
        select(StoreRule)
        .where(StoreRule.id.in_(ids))
        .execution_options(populate_existing=True)
    )
    by_id = {rule.id: rule for rule in db.session.execute(statement).unique().scalars()}
    rules = [by_id[rule_id] for rule_id in ids if rule_id in by_id]
    attach_providers(rules)
    return rules


def delete_rule(rule_id: int) -> None:
    """Delete a store rule and move the later rules of its group up by one.

    :raises InvalidParameter: when the id is below 1 or no rule has it.
    """
    rule = get_rule(rule_id)
    group = GroupKey.of(rule)
    with _write_transaction("store rules"):
        members = [
            member
            for member in _lock_consumer_rules({group.consumer_id})
            if GroupKey.of(member) == group
        ]
        if rule not in members:
            raise NotFound(f"Store rule with id {rule_id} not found.")

        db.session.delete(rule)
        db.session.flush()
        changes = {
            member.id: member.priority - 1
            for member in members
            if member.id != rule.id and member.priority > rule.priority
        }
        _set_priorities(changes)

    logger.info("Deleted store rule %d; %d rules moved up", rule_id, len(changes))


def modify_priorities(priority_map: dict[str, int]) -> None:
    """Set the priorities of every rule of one group at once.

    :param priority_map: store rule id (as text) to its new priority.
    :raises BadPayload: for an empty map, a non-numeric id, a priority below 1 or
        a priority given twice.
    :raises InvalidParameter: for unknown ids, ids of several groups, or a map that
        leaves out rules of the group.
    """
    if not priority_map:
        raise BadPayload("The priority map is empty.")

    changes: dict[int, int] = {}
    for key, priority in priority_map.items():
        try:
            rule_id = int(key)
        except ValueError:
            raise BadPayload(f"Store rule id {key!r} is not an integer.") from None
        if not 1 <= rule_id <= MAX_ID:
            raise NotFound(f"Store rule with id {rule_id} not found.")
        if priority < 1:
            raise BadPayload(f"Priority {priority} of rule {rule_id} is below 1.")
        changes[rule_id] = priority

    counts = Counter(changes.values())
    repeated = sorted(priority for priority, count in counts.items() if count > 1)
    if repeated:
        raise BadPayload(
            "The priority map gives the same priority to several rules: "
            + ", ".join(str(priority) for priority in repeated)
        )

    rules = _load_by_ids(StoreRule, set(changes))
    unknown = sorted(set(changes) - set(rules))
    if unknown:
        raise NotFound(
            "Store rules not found: " + ", ".join(str(rule_id) for rule_id in unknown)
        )

    groups = {GroupKey.of(rule) for rule in rules.values()}
    if len(groups) > 1:
        raise InvalidParameter(
            "The priority map names rules of different consumer, service and "
            "interface groups; modify one group at a time."
        )

    group = groups.pop()
    with _write_transaction("store rule priorities"):
        members = [
            member
            for member in _lock_consumer_rules({group.consumer_id})
            if GroupKey.of(member) == group
        ]
        missing = sorted(member.id for member in members if member.id not in changes)
        if missing:
            raise InvalidParameter(
                "The priority map must name every rule of the group; missing rule "
                "ids: " + ", ".join(str(rule_id) for rule_id in missing)
            )

        _set_priorities(
            {
                rule_id: priority
                for rule_id, priority in changes.items()
                if rules[rule_id].priority != priority
            }
        )

    logger.info("Modified priorities of store rules %s", sorted(changes))


def _find_definition(name: str) -> ServiceDefinition:
    try:
        normalized = normalize_service_definition(name, strict=False)
    except ValueError as error:
        raise BadPayload(str(error)) from None

    definition = db.session.execute(
        select(ServiceDefinition).where(
            ServiceDefinition.service_definition == normalized
        )
    ).scalar_one_or_none()
    if definition is None:
        raise NotFound(f"Service definition {normalized} not found.")
    return definition


def _find_interface(name: str) -> ServiceInterface:
    try:
        normalized = normalize_interface_name(name)
    except ValueError as error:
        raise BadPayload(str(error)) from None

    interface = db.session.execute(
        select(ServiceInterface).where(ServiceInterface.interface_name == normalized)
    ).scalar_one_or_none()
    if interface is None:
        raise NotFound(f"Service interface {normalized} not found.")
    return interface
