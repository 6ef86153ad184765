"""Operator commands shared by every core system."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the shared commands."""
    from . import discovery
    from .security.cli import certs

    discovery.init_app(app)
    app.cli.add_command(certs)
