"""Reading JSON request bodies through marshmallow schemas."""

import json
from typing import Any

from flask import request
from marshmallow import Schema
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.exceptions import UnsupportedMediaType

from .errors import BadPayload


def read_json(*, expect: type = dict) -> Any:
    """Return the parsed JSON body, checking content type, emptiness and shape.

    :param expect: the JSON type the endpoint takes, ``dict`` or ``list``.
    :raises UnsupportedMediaType: when the Content-Type is not JSON (415).
    :raises RequestEntityTooLarge: when a chunked body reaches the size limit (413).
    :raises BadPayload: when the body is empty, not JSON or of the wrong type.
    """
    if not request.is_json:
        raise UnsupportedMediaType()

    raw = request.get_data(cache=True)

    # Werkzeug 3.1 cuts a body without Content-Length (chunked transfer
    # encoding) at max_content_length instead of raising 413, so a body that
    # reaches the limit may have been cut.
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        raise RequestEntityTooLarge()
    if not raw.strip():
        raise BadPayload("The request body is empty; send a JSON document.")

    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise BadPayload(f"The request body is not valid JSON: {error}") from None

    if not isinstance(data, expect):
        kind = "object" if expect is dict else "array"
        raise BadPayload(f"The request body must be a JSON {kind}.")
    return data


def load_json(schema: Schema, *, expect: type = dict, partial: bool = False) -> Any:
    """Read the JSON body and load it with ``schema``.

    :raises BadPayload: with every validation message flattened into one line.
    """
    data = read_json(expect=expect)
    return load_data(schema, data, partial=partial)


def load_data(schema: Schema, data: Any, *, partial: bool = False) -> Any:
    """Load already parsed data with ``schema``, raising ``BadPayload`` on errors."""
    try:
        return schema.load(data, partial=partial)
    except ValidationError as error:
        raise BadPayload(flatten_messages(error.messages)) from None


def flatten_messages(messages: Any, prefix: str = "") -> str:
    """Turn marshmallow's nested messages into ``field.sub: message`` parts."""
    parts: list[str] = []
    _collect(messages, prefix, parts)
    return "; ".join(parts) if parts else "The request body is invalid."


def _collect(messages: Any, prefix: str, parts: list[str]) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            _collect(value, path, parts)
    elif isinstance(messages, list):
        for value in messages:
            _collect(value, prefix, parts)
    else:
        parts.append(f"{prefix}: {messages}" if prefix else str(messages))
