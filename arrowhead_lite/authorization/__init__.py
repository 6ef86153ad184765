"""The authorization core system: blueprint /authorization."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the authorization blueprint and its CLI commands."""
    from . import cli
    from . import models  # noqa: F401 - registers the tables
    from .views import bp

    app.register_blueprint(bp)
    cli.init_app(app)
