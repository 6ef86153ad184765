"""The ``certs`` commands: write and extend the development PKI."""

import click
from flask import current_app
from flask.cli import AppGroup

from . import pki

certs = AppGroup("certs", help="Create development certificates (not for production).")


@certs.command("init")
@click.option(
    "--dir",
    "directory",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the PKI files to; created when missing.",
)
@click.option("--force", is_flag=True, help="Replace an existing PKI in the folder.")
@click.option(
    "--password",
    default=None,
    help="Password of the .p12 files; without it they are unencrypted.",
)
@click.option(
    "--san",
    "sans",
    multiple=True,
    help="Extra host name or IP address for server.pem; repeat for more.",
)
def init_command(directory, force, password, sans):
    """Write a CA, server, sysop and Authorization key files to --dir."""
    cloud_cn = current_app.config["SERVER_CLOUD_CN"]
    try:
        written = pki.init_pki(
            directory, cloud_cn, extra_sans=sans, password=password, force=force
        )
    except pki.PKIError as error:
        raise click.ClickException(str(error)) from None

    click.echo(f"Development PKI for {cloud_cn} (for development only):")
    for path in written:
        click.echo(f"  {path}")


@certs.command("issue")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    required=True,
    type=click.Path(file_okay=False, exists=True),
    help="Folder of a PKI written by 'certs init'.",
)
@click.option("--force", is_flag=True, help="Replace existing files for NAME.")
@click.option(
    "--password",
    default=None,
    help="Password of NAME.p12; without it the file is unencrypted.",
)
@click.option(
    "--san",
    "sans",
    multiple=True,
    help="Extra host name or IP address besides localhost and 127.0.0.1.",
)
def issue_command(name, directory, force, password, sans):
    """Issue NAME.pem, NAME.key and NAME.p12 for the system NAME."""
    cloud_cn = current_app.config["SERVER_CLOUD_CN"]
    try:
        written = pki.issue_system(
            directory,
            name,
            cloud_cn,
            extra_sans=sans,
            password=password,
            force=force,
        )
    except pki.PKIError as error:
        raise click.ClickException(str(error)) from None

    click.echo(f"Certificate for {pki.system_common_name(name, cloud_cn)}:")
    for path in written:
        click.echo(f"  {path}")
