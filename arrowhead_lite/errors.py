"""Arrowhead errors and the handlers that send them as ErrorMessageDTO bodies."""

import logging

from flask import Flask
from flask import request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db

logger = logging.getLogger(__name__)

# Exception types of the reference ErrorMessageDTO.
ARROWHEAD = "ARROWHEAD"
AUTH = "AUTH"
BAD_PAYLOAD = "BAD_PAYLOAD"
INVALID_PARAMETER = "INVALID_PARAMETER"
DATA_NOT_FOUND = "DATA_NOT_FOUND"
GENERIC = "GENERIC"
UNAVAILABLE = "UNAVAILABLE"


class ArrowheadError(Exception):
    """Base of the errors that leave the service as an ErrorMessageDTO."""

    status = 500
    exception_type = ARROWHEAD

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadPayload(ArrowheadError):
    """The request body is missing, malformed or fails validation."""

    status = 400
    exception_type = BAD_PAYLOAD


class InvalidParameter(ArrowheadError):
    """A value is well-formed but not acceptable."""

    status = 400
    exception_type = INVALID_PARAMETER


class NotFound(InvalidParameter):
    """A referenced record does not exist; 400 as in the reference."""


class Duplicate(InvalidParameter):
    """The record already exists; 400 as in the reference, never 409."""


class Unauthorized(ArrowheadError):
    """The caller may not use this endpoint or act for this system."""

    status = 401
    exception_type = AUTH


class Unavailable(ArrowheadError):
    """A dependency, such as the database, cannot be reached."""

    status = 503
    exception_type = UNAVAILABLE


class InsecureMode(ArrowheadError):
    """The operation needs a secure TLS mode; 500 as in the reference."""

    status = 500
    exception_type = ARROWHEAD


_HTTP_TYPES = {
    400: BAD_PAYLOAD,
    401: AUTH,
    404: DATA_NOT_FOUND,
    405: GENERIC,
    413: BAD_PAYLOAD,
    415: BAD_PAYLOAD,
}

_HTTP_MESSAGES = {
    400: "The request is malformed.",
    404: "No endpoint exists at {path}.",
    405: "Method {method} is not allowed on {path}.",
    413: "The request body is larger than the limit of {limit} bytes.",
    415: "Content-Type must be application/json.",
    500: "Internal server error; the server log has the details.",
}


def error_body(message: str, status: int, exception_type: str) -> dict:
    """Return the ErrorMessageDTO for one error."""
    return {
        "errorMessage": message,
        "errorCode": status,
        "exceptionType": exception_type,
        "origin": request.path,
    }


def _respond(message: str, status: int, exception_type: str):
    return error_body(message, status, exception_type), status


def handle_arrowhead_error(error: ArrowheadError):
    db.session.rollback()
    level = logging.WARNING if error.status < 500 else logging.ERROR
    logger.log(
        level,
        "%s %s failed with %s %s: %s",
        request.method,
        request.path,
        error.status,
        error.exception_type,
        error.message,
    )
    return _respond(error.message, error.status, error.exception_type)


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    template = _HTTP_MESSAGES.get(status)
    if template is None:
        message = error.description or error.name
    else:
        message = template.format(
            path=request.path,
            method=request.method,
            limit=request.max_content_length,
        )

    if status >= 500:
        db.session.rollback()

    response_body, response_status = _respond(
        message,
        status,
        _HTTP_TYPES.get(status, ARROWHEAD if status >= 500 else GENERIC),
    )
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return response_body, response_status, headers


def handle_integrity_error(error: IntegrityError):
    # Services catch the violations they expect and raise Duplicate with a
    # specific message; this covers a race the service did not anticipate.
    db.session.rollback()
    logger.warning(
        "%s %s violated a database constraint: %s",
        request.method,
        request.path,
        error.orig,
    )
    return _respond(
        "The request conflicts with an existing record.", 400, INVALID_PARAMETER
    )


def handle_database_error(error: DBAPIError):
    db.session.rollback()
    if error.connection_invalidated or _is_connection_error(error):
        logger.error(
            "%s %s: database unavailable: %s", request.method, request.path, error.orig
        )
        return _respond("The database is unavailable; retry later.", 503, UNAVAILABLE)

    logger.exception("%s %s: database operation failed", request.method, request.path)
    return _respond("Database operation exception.", 500, ARROWHEAD)


def _is_connection_error(error: DBAPIError) -> bool:
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False

    text = str(error.orig).lower()
    markers = (
        "could not connect",
        "connection",
        "server closed",
        "unable to open",
        "database is locked",
    )
    return any(marker in text for marker in markers)


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into an ErrorMessageDTO."""
    app.register_error_handler(ArrowheadError, handle_arrowhead_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(DBAPIError, handle_database_error)
