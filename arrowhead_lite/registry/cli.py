"""Operator commands of the registry core system."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the registry commands."""
