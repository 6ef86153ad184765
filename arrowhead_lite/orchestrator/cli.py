"""Operator commands of the orchestrator core system.

``flask --app arrowhead_lite orchestrate FILE.json [--explain]`` and
``flask --app arrowhead_lite store list|add|remove``.
"""

import json
from typing import NoReturn

import click
from flask import Flask
from flask.cli import AppGroup
from flask.cli import with_appcontext
from sqlalchemy import select

from ..errors import ArrowheadError
from ..extensions import db
from ..paging import PageRequest
from ..payload import load_data
from ..registry.cli import print_table
from ..registry.models import System
from . import services
from . import store
from .explain import explain as explain_outcome
from .schemas import orchestration_form
from .schemas import result_schema
from .schemas import store_rule_response

store_cli = AppGroup("store", help="List, add and remove Orchestrator store rules.")

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON instead of a table."
)

ALL_BY_ID = PageRequest(page=None, size=None, sort_field="id", descending=False)


def _print_json(data) -> None:
    click.echo(json.dumps(data, indent=2))


def _fail(error: ArrowheadError) -> NoReturn:
    raise click.ClickException(error.message)


@click.command("orchestrate")
@click.argument("request_file", type=click.File("r"))
@click.option(
    "--explain",
    "explain",
    is_flag=True,
    help="Print every registry candidate with the reason it was kept or dropped.",
)
@json_option
@with_appcontext
def orchestrate_command(request_file, explain: bool, as_json: bool) -> None:
    """Run the orchestration request in REQUEST_FILE (JSON; - reads stdin).

    The request runs in process as the operator, so the requester need not match
    a certificate. Without --explain the output is the orchestration response.
    """
    try:
        data = json.load(request_file)
    except ValueError as error:
        raise click.ClickException(
            f"{request_file.name} is not JSON: {error}"
        ) from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{request_file.name} must hold a JSON object.")

    try:
        form = load_data(orchestration_form, data)
        outcome = services.orchestrate(form)
    except ArrowheadError as error:
        db.session.rollback()
        _fail(error)

    if not explain:
        _print_json({"response": result_schema.dump(outcome.results, many=True)})
        return

    document = explain_outcome(outcome)
    if as_json:
        _print_json(document)
        return

    requester = document["requester"]
    click.echo(
        f"{document['mode']} orchestration for {requester['systemName']} "
        f"(system {requester['id']}), service "
        f"{document['serviceDefinition'] or '(top-priority store rules)'}: "
        f"{document['resultCount']} results"
    )
    print_table(
        ["ENTRY", "SERVICE", "PROVIDER", "ADDRESS", "PORT", "INTERFACES", "VERDICT"],
        [
            [
                candidate["serviceRegistryId"],
                candidate["serviceDefinition"],
                candidate["provider"]["systemName"],
                candidate["provider"]["address"],
                candidate["provider"]["port"],
                ",".join(candidate["interfaces"]) or "-",
                "kept" if candidate["kept"] else f"dropped: {candidate['reason']}",
            ]
            for candidate in document["candidates"]
        ],
    )


def _find_system(name: str, option: str) -> System:
    """Return the one system called ``name``, or fail naming the option."""
    normalized = name.strip().lower()
    systems = (
        db.session.execute(select(System).where(System.system_name == normalized))
        .scalars()
        .all()
    )
    if not systems:
        raise click.BadParameter(f"no system is named {normalized}", param_hint=option)
    if len(systems) > 1:
        places = ", ".join(f"{s.address}:{s.port} (id {s.id})" for s in systems)
        raise click.BadParameter(
            f"{len(systems)} systems are named {normalized}: {places}; "
            "remove the duplicates or use the HTTP API with ids",
            param_hint=option,
        )
    return systems[0]


def _print_rules(rules, as_json: bool) -> None:
    if as_json:
        _print_json(store_rule_response.dump(rules, many=True))
        return

    print_table(
        ["ID", "CONSUMER", "SERVICE", "INTERFACE", "PRIORITY", "PROVIDER"],
        [
            [
                rule.id,
                rule.consumer.system_name,
                rule.service_definition.service_definition,
                rule.service_interface.interface_name,
                rule.priority,
                rule.provider_dump["systemName"],
            ]
            for rule in rules
        ],
    )


@store_cli.command("list")
@json_option
def list_rules(as_json: bool) -> None:
    """List every store rule."""
    rules, _ = store.list_rules(ALL_BY_ID)
    _print_rules(rules, as_json)


@store_cli.command("add")
@click.option("--consumer", required=True, help="Consumer system name.")
@click.option("--provider", required=True, help="Provider system name.")
@click.option("--service", required=True, help="Service definition.")
@click.option(
    "--interface",
    default="HTTP-SECURE-JSON",
    show_default=True,
    help="Service interface.",
)
@click.option(
    "--priority",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Priority within the consumer's rules for this service and interface; "
    "1 is tried first. A taken priority moves the later rules down.",
)
@json_option
def add_rule(
    consumer: str,
    provider: str,
    service: str,
    interface: str,
    priority: int,
    as_json: bool,
) -> None:
    """Add a store rule: CONSUMER gets PROVIDER for SERVICE over INTERFACE."""
    consumer_system = _find_system(consumer, "--consumer")
    provider_system = _find_system(provider, "--provider")
    item = {
        "consumer_system_id": consumer_system.id,
        "service_definition": service,
        "provider_system": {
            "system_name": provider_system.system_name,
            "address": provider_system.address,
            "port": provider_system.port,
        },
        "service_interface": interface,
        "priority": priority,
        "cloud": None,
        "attribute": None,
    }
    try:
        rules = store.create_rules([item])
    except ArrowheadError as error:
        db.session.rollback()
        _fail(error)
    _print_rules(rules, as_json)


@store_cli.command("remove")
@click.argument("rule_id", type=int)
@json_option
def remove_rule(rule_id: int, as_json: bool) -> None:
    """Remove store rule RULE_ID; the later rules of its group move up."""
    try:
        store.delete_rule(rule_id)
    except ArrowheadError as error:
        db.session.rollback()
        _fail(error)

    if as_json:
        _print_json({"removed": rule_id})
    else:
        click.echo(f"Removed store rule {rule_id}.")


def init_app(app: Flask) -> None:
    """Register the orchestrator commands."""
    app.cli.add_command(orchestrate_command)
    app.cli.add_command(store_cli)
