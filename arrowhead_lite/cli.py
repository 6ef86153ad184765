"""Operator commands shared by every core system."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the shared commands."""
    from . import discovery

    discovery.init_app(app)
