"""Operator commands of the registry core system.

``flask --app arrowhead_lite systems list|add|remove`` and
``flask --app arrowhead_lite services list|remove|purge-expired``.
"""

import json
from typing import NoReturn

import click
from flask import Flask
from flask.cli import AppGroup

from ..errors import ArrowheadError
from ..extensions import utcnow
from ..paging import PageRequest
from ..timestamps import format_instant
from . import schemas
from . import services

systems_cli = AppGroup("systems", help="List, add and remove registered systems.")
services_cli = AppGroup(
    "services", help="List and remove service registry entries, purge expired ones."
)

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON instead of a table."
)

ALL_BY_ID = PageRequest(page=None, size=None, sort_field="id", descending=False)


def print_table(headers: list[str], rows: list[list]) -> None:
    """Print ``rows`` as left-aligned columns under ``headers``."""
    cells = [headers] + [
        ["" if value is None else str(value) for value in row] for row in rows
    ]
    widths = [max(len(row[index]) for row in cells) for index in range(len(headers))]
    for row in cells:
        click.echo(
            "  ".join(
                cell.ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )


def _print_json(data) -> None:
    click.echo(json.dumps(data, indent=2))


def _fail(error: ArrowheadError) -> NoReturn:
    raise click.ClickException(error.message)


def _parse_metadata(pairs: tuple[str, ...]) -> dict[str, str] | None:
    if not pairs:
        return None

    metadata = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise click.BadParameter(
                f"{pair!r} is not KEY=VALUE", param_hint="--metadata"
            )
        metadata[key.strip()] = value.strip()
    return metadata


@systems_cli.command("list")
@json_option
def list_systems(as_json: bool) -> None:
    """List every registered system."""
    systems, _ = services.list_systems(ALL_BY_ID)
    if as_json:
        _print_json(schemas.system_response.dump(systems, many=True))
        return

    print_table(
        ["ID", "NAME", "ADDRESS", "PORT", "AUTH INFO"],
        [
            [
                system.id,
                system.system_name,
                system.address,
                system.port,
                "yes" if system.authentication_info else "no",
            ]
            for system in systems
        ],
    )


@systems_cli.command("add")
@click.argument("name")
@click.argument("address")
@click.argument("port", type=click.IntRange(0, 65535))
@click.option(
    "--authentication-info",
    help="Base64 DER public key of the system (SubjectPublicKeyInfo).",
)
@click.option(
    "--metadata",
    multiple=True,
    metavar="KEY=VALUE",
    help="A metadata entry; repeatable.",
)
@json_option
def add_system(
    name: str,
    address: str,
    port: int,
    authentication_info: str | None,
    metadata: tuple[str, ...],
    as_json: bool,
) -> None:
    """Register system NAME at ADDRESS:PORT."""
    data = {
        "system_name": name,
        "address": address,
        "port": port,
        "authentication_info": authentication_info,
        "metadata": _parse_metadata(metadata),
    }
    try:
        system = services.create_system(data, reject_reserved=True)
    except ArrowheadError as error:
        _fail(error)

    if as_json:
        _print_json(schemas.system_response.dump(system))
    else:
        click.echo(
            f"Added system {system.id} {system.system_name} "
            f"({system.address}:{system.port})."
        )


@systems_cli.command("remove")
@click.argument("system_id", type=int)
@json_option
def remove_system(system_id: int, as_json: bool) -> None:
    """Remove system SYSTEM_ID with its entries and authorization rules."""
    try:
        services.delete_system(system_id)
    except ArrowheadError as error:
        _fail(error)

    if as_json:
        _print_json({"removed": system_id})
    else:
        click.echo(f"Removed system {system_id}.")


@services_cli.command("list")
@click.option("--definition", help="Only entries of this service definition.")
@json_option
def list_entries(definition: str | None, as_json: bool) -> None:
    """List service registry entries."""
    try:
        entries, _ = services.list_entries(ALL_BY_ID, definition=definition)
    except ArrowheadError as error:
        _fail(error)

    if as_json:
        _print_json(schemas.entry_response.dump(entries, many=True))
        return

    print_table(
        [
            "ID",
            "DEFINITION",
            "PROVIDER",
            "URI",
            "SECURE",
            "VERSION",
            "INTERFACES",
            "END OF VALIDITY",
        ],
        [
            [
                entry.id,
                entry.service_definition.service_definition,
                f"{entry.provider.system_name} ({entry.provider.address}:"
                f"{entry.provider.port})",
                entry.service_uri,
                entry.secure,
                entry.version,
                ",".join(interface.interface_name for interface in entry.interfaces),
                format_instant(entry.end_of_validity) or "-",
            ]
            for entry in entries
        ],
    )


@services_cli.command("remove")
@click.argument("entry_id", type=int)
@json_option
def remove_entry(entry_id: int, as_json: bool) -> None:
    """Remove service registry entry ENTRY_ID."""
    try:
        services.delete_entry(entry_id)
    except ArrowheadError as error:
        _fail(error)

    if as_json:
        _print_json({"removed": entry_id})
    else:
        click.echo(f"Removed entry {entry_id}.")


@services_cli.command("purge-expired")
@json_option
def purge_expired(as_json: bool) -> None:
    """Remove every entry whose endOfValidity has passed.

    Safe to run repeatedly, for example from cron or a systemd timer.
    """
    removed = services.purge_expired(utcnow())
    if as_json:
        _print_json({"removed": removed})
    else:
        click.echo(f"Removed {removed} expired entries.")


def init_app(app: Flask) -> None:
    """Register the registry commands."""
    app.cli.add_command(systems_cli)
    app.cli.add_command(services_cli)
