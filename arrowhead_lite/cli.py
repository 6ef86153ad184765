"""Operator commands shared by every core system."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the shared commands."""
    from .security.cli import certs

    app.cli.add_command(certs)
