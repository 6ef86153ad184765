"""Operator commands of the authorization core system."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the authorization commands."""
