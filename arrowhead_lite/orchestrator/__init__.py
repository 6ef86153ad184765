"""The orchestrator core system: blueprint /orchestrator."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the orchestrator blueprint and its CLI commands."""
    from . import cli
    from . import models  # noqa: F401 - registers the tables
    from .views import bp

    app.register_blueprint(bp)
    cli.init_app(app)
