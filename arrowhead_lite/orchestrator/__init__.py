"""The orchestrator core system: blueprint /orchestrator."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Load the Authorization key pair; register the blueprint and CLI commands.

    The Orchestrator issues tokens in process, so a node that serves it without
    the Authorization blueprint still needs the key pair.
    """
    from ..security import keys
    from . import cli
    from . import models  # noqa: F401 - registers the tables
    from .views import bp

    keys.init_app(app)
    app.register_blueprint(bp)
    cli.init_app(app)
