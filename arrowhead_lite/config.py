"""Settings: code defaults, then instance/config.py, then ARROWHEAD_* variables."""

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LABEL_PATTERN = re.compile(r"^[A-Za-z](?:[0-9A-Za-z-]*[0-9A-Za-z])?$")
TLS_MODES = ("direct", "proxy", "off")
BLUEPRINT_NAMES = ("registry", "authorization", "orchestrator")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names it."""


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _parse_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


@dataclass(frozen=True)
class Setting:
    """One ``ARROWHEAD_*`` setting: its default, how to parse it and its meaning."""

    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str


SETTINGS = (
    Setting(
        "ARROWHEAD_DATABASE_URL",
        None,
        str,
        "SQLAlchemy database URL; default a SQLite file instance/arrowhead.db",
    ),
    Setting(
        "ARROWHEAD_TLS_MODE",
        "direct",
        str,
        "direct (gunicorn terminates mTLS), proxy (nginx does) or off (plain HTTP)",
    ),
    Setting(
        "ARROWHEAD_CERTS_DIR",
        "certs",
        str,
        "folder with truststore.pem, server.pem, server.key and the auth key pair",
    ),
    Setting("ARROWHEAD_BIND", "0.0.0.0:8443", str, "gunicorn listen address"),
    Setting("ARROWHEAD_CLOUD_NAME", "localcloud", str, "cloud name (CN label)"),
    Setting("ARROWHEAD_CLOUD_OPERATOR", "operator", str, "cloud operator (CN label)"),
    Setting(
        "ARROWHEAD_MAX_BODY_BYTES",
        1024 * 1024,
        int,
        "largest accepted request body in bytes",
    ),
    Setting(
        "ARROWHEAD_TOKEN_LIFETIME_SECONDS",
        3600,
        int,
        "authorization token lifetime in seconds; -1 issues tokens without exp",
    ),
    Setting(
        "ARROWHEAD_TRUSTED_PROXIES",
        [],
        _parse_list,
        "comma-separated proxy addresses whose certificate headers are trusted",
    ),
    Setting(
        "ARROWHEAD_BLUEPRINTS",
        list(BLUEPRINT_NAMES),
        _parse_list,
        "comma-separated core systems this node serves",
    ),
    Setting(
        "ARROWHEAD_PING_TIMEOUT_MS",
        2000,
        int,
        "TCP connect timeout in milliseconds for pingProviders",
    ),
    Setting(
        "ARROWHEAD_PING_MAX_WORKERS",
        32,
        int,
        "maximum concurrent TCP checks for one pingProviders request",
    ),
    Setting(
        "ARROWHEAD_ALLOW_SELF_ADDRESSING",
        True,
        _parse_bool,
        "accept loopback addresses (127.x, localhost, ::1) for systems",
    ),
    Setting(
        "ARROWHEAD_ALLOW_NON_ROUTABLE_ADDRESSING",
        True,
        _parse_bool,
        "accept link-local addresses (169.254.x, fe80::) for systems",
    ),
    Setting(
        "ARROWHEAD_STRICT_SERVICE_DEFINITIONS",
        True,
        _parse_bool,
        "service definitions must follow the system-name pattern",
    ),
    Setting(
        "ARROWHEAD_PUBLIC_ADDRESS",
        "127.0.0.1",
        str,
        "address under which the core services are published in the registry",
    ),
    Setting(
        "ARROWHEAD_PUBLIC_PORT",
        8443,
        int,
        "port under which the core services are published in the registry",
    ),
    Setting(
        "ARROWHEAD_LOG_LEVEL", "INFO", str, "log level of the arrowhead_lite loggers"
    ),
    Setting("ARROWHEAD_WORKERS", 2, int, "gunicorn worker processes"),
    Setting("ARROWHEAD_THREADS", 4, int, "threads per gunicorn worker"),
)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


def load(config: dict, instance_path: str, test_config: dict | None) -> None:
    """Fill ``config`` from the defaults, the instance file and the environment.

    :param config: the Flask ``app.config`` mapping to fill.
    :param instance_path: the app's instance folder, for ``config.py`` and SQLite.
    :param test_config: a mapping used instead of the instance file and environment.
    :raises ConfigError: when a setting is invalid; the message names the setting.
    """
    for setting in SETTINGS:
        config.setdefault(setting.name, setting.default)

    if test_config is not None:
        config.update(test_config)
    else:
        _load_instance_file(config, instance_path)
        _load_environment(config)

    if not config.get("ARROWHEAD_DATABASE_URL"):
        path = os.path.join(instance_path, "arrowhead.db")
        config["ARROWHEAD_DATABASE_URL"] = f"sqlite:///{path}"

    validate(config)
    _derive_flask_settings(config)


def load_settings() -> dict:
    """Return the settings as ``create_app()`` reads them, without building an app.

    :raises ConfigError: when a setting is invalid; the message names the setting.
    """
    from flask import Flask

    # A bare Flask object finds the same instance folder as create_app().
    instance_path = Flask("arrowhead_lite", instance_relative_config=True).instance_path
    settings: dict = {}
    load(settings, instance_path, None)
    return settings


def _load_instance_file(config: dict, instance_path: str) -> None:
    path = os.path.join(instance_path, "config.py")
    if not os.path.exists(path):
        return

    namespace: dict[str, Any] = {"__file__": path}
    with open(path, "rb") as config_file:
        exec(compile(config_file.read(), path, "exec"), namespace)

    for key, value in namespace.items():
        if key.isupper():
            config[key] = value


def _load_environment(config: dict) -> None:
    for name, text in os.environ.items():
        if not name.startswith("ARROWHEAD_"):
            continue

        setting = SETTINGS_BY_NAME.get(name)
        if setting is None:
            # Variables such as ARROWHEAD_TEST_DATABASE_URL belong to the tests.
            continue

        try:
            config[name] = setting.parse(text)
        except ValueError as error:
            raise ConfigError(f"{name}={text!r} is invalid: {error}") from None


def validate(config: dict) -> None:
    """Check every setting and raise ``ConfigError`` naming the first bad one."""
    mode = config["ARROWHEAD_TLS_MODE"]
    if mode not in TLS_MODES:
        raise ConfigError(
            f"ARROWHEAD_TLS_MODE={mode!r} is invalid: use one of {', '.join(TLS_MODES)}"
        )

    for name in ("ARROWHEAD_CLOUD_NAME", "ARROWHEAD_CLOUD_OPERATOR"):
        value = config[name]
        if not isinstance(value, str) or not LABEL_PATTERN.match(value):
            raise ConfigError(
                f"{name}={value!r} is invalid: use letters, digits and dashes, "
                "starting with a letter, at most 63 characters"
            )
        if len(value) > 63:
            raise ConfigError(f"{name}={value!r} is longer than 63 characters")

    for name in (
        "ARROWHEAD_MAX_BODY_BYTES",
        "ARROWHEAD_PING_TIMEOUT_MS",
        "ARROWHEAD_PING_MAX_WORKERS",
        "ARROWHEAD_WORKERS",
        "ARROWHEAD_THREADS",
    ):
        value = config[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{name}={value!r} is invalid: use a positive integer")

    lifetime = config["ARROWHEAD_TOKEN_LIFETIME_SECONDS"]
    if not isinstance(lifetime, int) or (lifetime < 1 and lifetime != -1):
        raise ConfigError(
            f"ARROWHEAD_TOKEN_LIFETIME_SECONDS={lifetime!r} is invalid: "
            "use a positive number of seconds, or -1 for tokens without expiry"
        )

    port = config["ARROWHEAD_PUBLIC_PORT"]
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"ARROWHEAD_PUBLIC_PORT={port!r} is invalid: use 0-65535")

    unknown = set(config["ARROWHEAD_BLUEPRINTS"]) - set(BLUEPRINT_NAMES)
    if unknown or not config["ARROWHEAD_BLUEPRINTS"]:
        raise ConfigError(
            f"ARROWHEAD_BLUEPRINTS={config['ARROWHEAD_BLUEPRINTS']!r} is invalid: "
            f"use a non-empty subset of {', '.join(BLUEPRINT_NAMES)}"
        )

    level = config["ARROWHEAD_LOG_LEVEL"]
    if not isinstance(level, str) or level.upper() not in LOG_LEVELS:
        raise ConfigError(
            f"ARROWHEAD_LOG_LEVEL={level!r} is invalid: "
            f"use one of {', '.join(LOG_LEVELS)}"
        )

    bind = config["ARROWHEAD_BIND"]
    if not isinstance(bind, str) or not (
        bind.startswith("unix:") or re.match(r"^\S+:\d{1,5}$", bind)
    ):
        raise ConfigError(
            f"ARROWHEAD_BIND={bind!r} is invalid: use HOST:PORT or unix:PATH"
        )


def _derive_flask_settings(config: dict) -> None:
    url = database_url(config["ARROWHEAD_DATABASE_URL"])
    config["SQLALCHEMY_DATABASE_URI"] = url
    config["MAX_CONTENT_LENGTH"] = config["ARROWHEAD_MAX_BODY_BYTES"]
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(url))
    config["SERVER_CLOUD_CN"] = cloud_common_name(config)


def database_url(url: str) -> str:
    """Return ``url`` with the psycopg2 driver named for plain PostgreSQL URLs.

    SQLAlchemy 2.1 picks psycopg 3 for ``postgresql://``; this package ships
    psycopg2-binary.
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict:
    """Return engine options suited to the database behind ``url``."""
    if url.startswith("sqlite"):
        # A 15 s busy timeout makes concurrent writers wait instead of failing.
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True, "pool_size": 4, "max_overflow": 4}


def cloud_common_name(config: dict) -> str:
    """Return ``<cloud>.<operator>.arrowhead.eu`` for this server's cloud."""
    cloud = config["ARROWHEAD_CLOUD_NAME"].lower()
    operator = config["ARROWHEAD_CLOUD_OPERATOR"].lower()
    return f"{cloud}.{operator}.arrowhead.eu"


def certs_dir(config: dict) -> str:
    """Return the absolute certificates folder."""
    return os.path.abspath(config["ARROWHEAD_CERTS_DIR"])
