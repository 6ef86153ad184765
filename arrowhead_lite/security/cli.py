"""The ``certs`` commands: write and extend the development PKI.

The group is a plain click group, also published as a ``flask.commands`` entry
point, so that it runs while the app itself cannot start: in the secure TLS
modes ``create_app()`` needs the very key files that ``certs init`` writes.
"""

import logging

import click
from flask.cli import NoAppException
from flask.cli import ScriptInfo

from .. import config
from . import pki

logger = logging.getLogger(__name__)

certs = click.Group(
    "certs", help="Create development certificates (not for production)."
)


def _server_cloud_cn() -> str:
    """Return this cloud's CN from the app, or from the settings alone."""
    info = click.get_current_context().ensure_object(ScriptInfo)
    try:
        return info.load_app().config["SERVER_CLOUD_CN"]
    except (config.ConfigError, NoAppException) as error:
        logger.info(
            "Reading the settings without the app, which cannot start: %s", error
        )

    try:
        return config.load_settings()["SERVER_CLOUD_CN"]
    except config.ConfigError as error:
        raise click.ClickException(str(error)) from None


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
    cloud_cn = _server_cloud_cn()
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
    cloud_cn = _server_cloud_cn()
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
