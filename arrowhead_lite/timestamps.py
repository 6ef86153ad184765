"""ISO-8601 UTC instants as the Arrowhead contract writes and reads them."""

import re
from datetime import UTC
from datetime import datetime

from marshmallow import fields

# Java's ISO_INSTANT: date, T, time, optional fraction, and a literal Z.
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


def format_instant(value: datetime | None) -> str | None:
    """Format an aware datetime as ``2024-03-19T09:31:17Z``, with a fraction if any."""
    if value is None:
        return None

    # isoformat writes the fraction only when microseconds are set and always
    # pads the year to four digits. It is also faster than strftime, which
    # matters because a response with 100 orchestration results has 600 instants.
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    if value.microsecond:
        text = text.rstrip("0")
    return text + "Z"


def parse_instant(text: str) -> datetime:
    """Parse an ISO instant ending in ``Z`` into an aware UTC datetime.

    :raises ValueError: when the text is not such an instant.
    """
    if not isinstance(text, str) or not _INSTANT.match(text.strip()):
        raise ValueError(text)

    text = text.strip()[:-1]
    if "." in text:
        whole, fraction = text.split(".")
        text = f"{whole}.{fraction[:6].ljust(6, '0')}"
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Instant(fields.Field):
    """A UTC instant: dumped as ISO with ``Z``; loaded from ISO with ``Z``.

    An empty string loads as ``None``, because one real client sends
    ``"endOfValidity": ""`` for "no expiry".
    """

    default_error_messages = {
        "invalid": (
            "End of validity is specified in the wrong format. Please provide UTC "
            "time using ISO-8601 format, for example 2112-06-20T12:00:00Z."
        )
    }

    def _serialize(self, value, attr, obj, **kwargs):
        return format_instant(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        try:
            return parse_instant(value)
        except ValueError:
            raise self.make_error("invalid") from None
