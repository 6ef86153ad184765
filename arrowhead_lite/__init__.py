"""arrowhead-lite: the Arrowhead 4.x core systems in one Flask service."""

import importlib
import os

from flask import Flask

__version__ = "0.1.0"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application.

    :param test_config: settings used instead of ``instance/config.py`` and the
        environment, for tests.
    :raises config.ConfigError: when a setting is missing or invalid.
    """
    from . import config
    from . import errors
    from . import requestlog
    from .extensions import db
    from .extensions import migrate
    from .security import identity

    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    config.load(app.config, app.instance_path, test_config)

    requestlog.configure_logging(app.config["ARROWHEAD_LOG_LEVEL"])
    app.json.sort_keys = False
    app.url_map.strict_slashes = False
    # Flask's automatic OPTIONS reply would bypass the access rules and tell any
    # caller which methods an endpoint has; OPTIONS gets 405 instead.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False

    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(os.path.dirname(__file__), "migrations")
    )
    errors.init_app(app)
    requestlog.init_app(app)
    identity.init_app(app)

    for name in app.config["ARROWHEAD_BLUEPRINTS"]:
        module = importlib.import_module(f".{name}", __name__)
        module.init_app(app)

    from . import health
    from . import openapi

    health.init_app(app)
    openapi.init_app(app)

    from . import cli

    cli.init_app(app)
    return app
