"""The authorization core system: blueprint /authorization."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Load the Authorization key pair; register the blueprint and CLI commands.

    :raises config.ConfigError: in a secure TLS mode when a key file is missing or
        invalid.
    """
    from ..security import keys
    from . import cli
    from . import models  # noqa: F401 - registers the tables
    from .views import bp

    keys.init_app(app)
    app.register_blueprint(bp)
    cli.init_app(app)
