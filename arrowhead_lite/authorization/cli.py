"""Operator commands of the authorization core system: rules and tokens."""

import json
import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from ..config import ConfigError
from ..errors import ArrowheadError
from ..extensions import db
from ..paging import PageRequest
from ..registry.models import ServiceDefinition
from ..registry.models import ServiceInterface
from ..registry.models import System
from ..security import keys
from ..security import tokens
from . import schemas
from . import services

rules_cli = AppGroup("rules", help="Manage intra-cloud authorization rules.")
tokens_cli = AppGroup("tokens", help="Inspect authorization tokens.")


@rules_cli.command("add")
@click.option(
    "--consumer",
    required=True,
    help="Consumer system name, or NAME@ADDRESS:PORT when several share the name.",
)
@click.option(
    "--provider",
    "providers",
    required=True,
    multiple=True,
    help="Provider system name or NAME@ADDRESS:PORT; repeat for several.",
)
@click.option(
    "--service",
    "services_",
    required=True,
    multiple=True,
    help="Service definition name; repeat for several.",
)
@click.option(
    "--interface",
    "interfaces",
    required=True,
    multiple=True,
    help="Interface name such as HTTP-SECURE-JSON; repeat for several.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new rules as JSON.")
def add_rules(consumer, providers, services_, interfaces, as_json):
    """Allow CONSUMER to use each provider's services over the interfaces."""
    consumer_id = _system_id(consumer)
    provider_ids = [_system_id(provider) for provider in providers]
    definition_ids = [_definition_id(name) for name in services_]
    interface_ids = [_interface_id(name) for name in interfaces]

    try:
        created = services.create_rules(
            consumer_id, provider_ids, definition_ids, interface_ids
        )
    except ArrowheadError as error:
        raise click.ClickException(error.message) from None

    if as_json:
        body = {"data": schemas.rule_response.dump(created, many=True)}
        body["count"] = len(created)
        click.echo(json.dumps(body, indent=2))
        return

    for rule in created:
        click.echo(f"Created rule {rule.id}: {_describe(rule)}")
    skipped = len(provider_ids) * len(definition_ids) - len(created)
    if skipped:
        click.echo(f"{skipped} rule(s) already existed and were left unchanged.")


@rules_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the rules as JSON.")
def list_rules(as_json):
    """Print every intra-cloud rule."""
    rules, count = services.list_rules(PageRequest(None, None, "id", False))

    if as_json:
        body = {"data": schemas.rule_response.dump(rules, many=True), "count": count}
        click.echo(json.dumps(body, indent=2))
        return

    rows = [
        (
            str(rule.id),
            rule.consumer.system_name,
            f"{rule.provider.system_name}@{rule.provider.address}:{rule.provider.port}",
            rule.service_definition.service_definition,
            ",".join(interface.interface_name for interface in rule.interfaces),
        )
        for rule in rules
    ]
    _print_table(("ID", "CONSUMER", "PROVIDER", "SERVICE", "INTERFACES"), rows)


@rules_cli.command("remove")
@click.argument("rule_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def remove_rule(rule_id, as_json):
    """Delete the rule RULE_ID."""
    try:
        services.delete_rule(rule_id)
    except ArrowheadError as error:
        raise click.ClickException(error.message) from None

    if as_json:
        click.echo(json.dumps({"removed": rule_id}))
    else:
        click.echo(f"Deleted rule {rule_id}.")


def _system_id(text: str) -> int:
    """Return the id of the system named ``NAME`` or ``NAME@ADDRESS:PORT``."""
    name, _, location = text.partition("@")
    if location:
        address, _, port = location.rpartition(":")
        if not address or not port.isdigit():
            raise click.BadParameter(f"{text!r} is not NAME@ADDRESS:PORT.")
        system = services.find_system(name, address, int(port))
        if system is None:
            raise click.BadParameter(f"No registered system matches {text!r}.")
        return system.id

    statement = select(System).filter_by(system_name=name.strip().lower())
    systems = db.session.execute(statement).scalars().all()
    if not systems:
        raise click.BadParameter(f"No registered system matches {text!r}.")
    if len(systems) > 1:
        choices = ", ".join(
            f"{system.system_name}@{system.address}:{system.port}" for system in systems
        )
        raise click.BadParameter(
            f"Several systems match {text!r}; name one as NAME@ADDRESS:PORT: {choices}."
        )
    return systems[0].id


def _definition_id(name: str) -> int:
    definition_id = db.session.execute(
        select(ServiceDefinition.id).filter_by(service_definition=name.strip().lower())
    ).scalar_one_or_none()
    if definition_id is None:
        raise click.BadParameter(f"No service definition is named {name!r}.")
    return definition_id


def _interface_id(name: str) -> int:
    interface_id = db.session.execute(
        select(ServiceInterface.id).filter_by(interface_name=name.strip().upper())
    ).scalar_one_or_none()
    if interface_id is None:
        raise click.BadParameter(f"No interface is named {name!r}.")
    return interface_id


def _describe(rule) -> str:
    interfaces = ",".join(interface.interface_name for interface in rule.interfaces)
    return (
        f"{rule.consumer.system_name} -> {rule.provider.system_name} "
        f"{rule.service_definition.service_definition} over {interfaces}"
    )


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [
        max(len(row[column]) for row in [header, *rows])
        for column in range(len(header))
    ]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        click.echo("  ".join(cells).rstrip())


@tokens_cli.command("verify")
@click.argument("token")
@click.option(
    "--provider-key",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="PEM file with the private key of the provider the token was issued for.",
)
@click.option(
    "--authorization-key",
    type=click.Path(exists=True, dir_okay=False),
    help="PEM file with the Authorization public key; default the key this "
    "server loaded from ARROWHEAD_CERTS_DIR.",
)
@click.option("--consumer", required=True, help="Expected consumer system name.")
@click.option("--service", required=True, help="Expected service definition.")
@click.option("--interface", required=True, help="Expected interface name.")
def verify_token(token, provider_key, authorization_key, consumer, service, interface):
    """Decrypt and verify TOKEN and print its claims; '-' reads it from stdin."""
    if token == "-":
        token = sys.stdin.read().strip()

    try:
        private_key = keys.load_private_key_file(provider_key)
        if authorization_key:
            public_key = keys.load_public_key_file(authorization_key)
        else:
            public_key = _loaded_authorization_key()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None

    try:
        claims = tokens.verify_token(
            token, private_key, public_key, consumer, service, interface
        )
    except tokens.TokenRejected as error:
        raise click.ClickException(
            f"Token rejected ({type(error).__name__}): {error.message}"
        ) from None
    click.echo(json.dumps(claims, indent=2))


def _loaded_authorization_key():
    authorization_keys = keys.authorization_keys()
    if authorization_keys is None:
        raise click.ClickException(
            "ARROWHEAD_TLS_MODE is off, so no Authorization key is loaded; "
            "pass --authorization-key."
        )
    return authorization_keys.public_key


def init_app(app: Flask) -> None:
    """Register the ``rules`` and ``tokens`` commands."""
    app.cli.add_command(rules_cli)
    app.cli.add_command(tokens_cli)
