"""Operator commands of the orchestrator core system."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the orchestrator commands."""
