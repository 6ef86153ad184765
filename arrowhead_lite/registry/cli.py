"""Operator commands of the registry core system.

``flask --app arrowhead_lite systems list|add|remove`` and
``flask --app arrowhead_lite services list|add|remove|purge-expired``.
"""

import json
from typing import NoReturn

import click
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.cli import AppGroup

from ..errors import ArrowheadError
from ..extensions import db
from ..extensions import utcnow
from ..paging import PageRequest
from ..payload import load_data
from ..security import keys
from ..timestamps import format_instant
from . import entries as registry_entries
from . import schemas
from . import systems as registry_systems

systems_cli = AppGroup("systems", help="List, add and remove registered systems.")
services_cli = AppGroup(
    "services",
    help="List, add and remove service registry entries, purge expired ones.",
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
    systems, _ = registry_systems.list_systems(ALL_BY_ID)
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
        system = registry_systems.create_system(data, reject_reserved=True)
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
        registry_systems.delete_system(system_id)
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
        entries, _ = registry_entries.list_entries(ALL_BY_ID, definition=definition)
    except ArrowheadError as error:
        _fail(error)

    _print_entries(entries, as_json)


def _print_entries(entries, as_json: bool) -> None:
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


def _read_public_key(path: str) -> str:
    """Return the RSA key of a PEM certificate or public key file in Base64 DER."""
    try:
        with open(path, "rb") as pem_file:
            data = pem_file.read()
    except OSError as error:
        raise click.BadParameter(
            f"cannot read {path}: {error.strerror}", param_hint="--public-key"
        ) from None

    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key = x509.load_pem_x509_certificates(data)[0].public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError as error:
        raise click.BadParameter(
            f"{path} is not a PEM certificate or public key: {error}",
            param_hint="--public-key",
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise click.BadParameter(f"{path} has no RSA key", param_hint="--public-key")
    return keys.public_key_to_base64(key)


@services_cli.command("add")
@click.argument("definition")
@click.argument("provider")
@click.argument("address")
@click.argument("port", type=click.IntRange(0, 65535))
@click.option("--uri", default="", help="Service URI, such as /temperature.")
@click.option(
    "--interface",
    "interfaces",
    multiple=True,
    default=("HTTP-SECURE-JSON",),
    show_default=True,
    help="Interface name; repeatable.",
)
@click.option(
    "--secure",
    type=click.Choice(["NOT_SECURE", "CERTIFICATE", "TOKEN"], case_sensitive=False),
    default="NOT_SECURE",
    show_default=True,
    help="Security type. CERTIFICATE and TOKEN need the provider's public key.",
)
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False),
    help="PEM certificate or public key file of the provider, such as "
    "certs/NAME.pem; stored as its authenticationInfo.",
)
@click.option(
    "--authentication-info",
    help="Base64 DER public key of the provider (SubjectPublicKeyInfo), "
    "instead of --public-key.",
)
@click.option(
    "--metadata",
    multiple=True,
    metavar="KEY=VALUE",
    help="A metadata entry of the service; repeatable.",
)
@click.option("--version", type=click.IntRange(min=1), help="Service version.")
@click.option(
    "--end-of-validity",
    metavar="INSTANT",
    help="Expiry as an ISO instant in UTC, such as 2030-01-01T00:00:00Z.",
)
@json_option
def add_entry(
    definition: str,
    provider: str,
    address: str,
    port: int,
    uri: str,
    interfaces: tuple[str, ...],
    secure: str,
    public_key: str | None,
    authentication_info: str | None,
    metadata: tuple[str, ...],
    version: int | None,
    end_of_validity: str | None,
    as_json: bool,
) -> None:
    """Register DEFINITION for system PROVIDER at ADDRESS:PORT.

    The provider is created if it is not registered. An existing provider keeps
    its public key and metadata unless --public-key or --authentication-info
    is given.
    """
    if public_key and authentication_info:
        raise click.UsageError("Give --public-key or --authentication-info, not both.")
    if public_key:
        authentication_info = _read_public_key(public_key)

    try:
        existing = registry_systems.find_system(provider, address, port)
    except ArrowheadError as error:
        _fail(error)
    provider_system = {"systemName": provider, "address": address, "port": port}
    if existing is not None:
        provider_system["metadata"] = existing.metadata_
        provider_system["authenticationInfo"] = existing.authentication_info
    if authentication_info is not None:
        provider_system["authenticationInfo"] = authentication_info

    body = {
        "serviceDefinition": definition,
        "providerSystem": provider_system,
        "serviceUri": uri,
        "secure": secure.upper(),
        "interfaces": list(interfaces),
        "metadata": _parse_metadata(metadata),
        "version": version,
        "endOfValidity": end_of_validity,
    }
    try:
        data = load_data(schemas.entry_request, body)
        entry = registry_entries.register_entry(data, reject_reserved_system_names=True)
    except ArrowheadError as error:
        db.session.rollback()
        _fail(error)

    if as_json:
        _print_json(schemas.entry_response.dump(entry))
    else:
        _print_entries([entry], as_json=False)


@services_cli.command("remove")
@click.argument("entry_id", type=int)
@json_option
def remove_entry(entry_id: int, as_json: bool) -> None:
    """Remove service registry entry ENTRY_ID."""
    try:
        registry_entries.delete_entry(entry_id)
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
    removed = registry_entries.purge_expired(utcnow())
    if as_json:
        _print_json({"removed": removed})
    else:
        click.echo(f"Removed {removed} expired entries.")


def init_app(app: Flask) -> None:
    """Register the registry commands."""
    app.cli.add_command(systems_cli)
    app.cli.add_command(services_cli)
