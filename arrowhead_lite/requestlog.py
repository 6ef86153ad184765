"""Logging set-up and one log line per request."""

import logging
import time

from flask import Flask
from flask import g
from flask import request

logger = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Set the ``arrowhead_lite`` log level and log to stderr unless logging is set up.

    A handler is added only when neither the package logger nor the root logger
    has one, so a host that configures logging (pytest, dictConfig) keeps control.
    """
    package_logger = logging.getLogger("arrowhead_lite")
    package_logger.setLevel(level.upper())
    if package_logger.handlers or logging.getLogger().handlers:
        return

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    package_logger.addHandler(handler)


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _log_request(response):
    started = g.get("request_started")
    duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
    identity = g.get("identity")
    caller = identity.common_name if identity is not None else "-"
    logger.info(
        "%s %s %s %.1fms caller=%s",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        caller,
    )
    return response


def init_app(app: Flask) -> None:
    """Log method, path, status, duration and caller of every request."""
    app.before_request(_start_timer)
    app.after_request(_log_request)
