"""Field types and the base schema shared by every JSON contract."""

import numbers
import re

from marshmallow import EXCLUDE
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate

MAX_METADATA_ENTRIES = 256
MAX_METADATA_KEY_LENGTH = 255
MAX_METADATA_VALUE_LENGTH = 2047
MAX_LIST_LENGTH = 64


class ContractSchema(Schema):
    """Base schema: unknown properties are ignored, as Spring's Jackson does."""

    class Meta:
        unknown = EXCLUDE


class StrictInteger(fields.Integer):
    """An integer that rejects strings, floats and booleans."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self.make_error("invalid")
        return super()._validated(value)


class Port(StrictInteger):
    """A TCP port, 0 to 65535."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "validate", validate.Range(0, 65535, error="Port must be 0 to 65535.")
        )
        super().__init__(**kwargs)


class Version(fields.Field):
    """A service version: an integer, or a string of digits as one client sends."""

    default_error_messages = {"invalid": "Version must be an integer."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, numbers.Integral):
            number = int(value)
        elif isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        else:
            raise self.make_error("invalid")

        if not 0 <= number <= 2**31 - 1:
            raise ValidationError("Version must be between 0 and 2147483647.")
        return number

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def reject_nul(value: str) -> None:
    """Reject NUL characters, which PostgreSQL cannot store in text columns."""
    if "\x00" in value:
        raise ValidationError("Must not contain NUL (U+0000) characters.")


# JSON decoding joins escaped surrogate pairs into one character, so any
# surrogate left in a decoded string is unpaired and cannot be encoded as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def reject_unpaired_surrogates(value: str) -> None:
    """Reject unpaired surrogates such as ``"\\ud800"``, which UTF-8 cannot encode."""
    if _SURROGATE.search(value):
        raise ValidationError(
            "Must not contain unpaired surrogates (U+D800 to U+DFFF); send valid "
            "Unicode text."
        )


class BoundedString(fields.String):
    """A string with a maximum length, no NUL characters and valid Unicode."""

    def __init__(self, max_length: int, **kwargs):
        validators = list(kwargs.pop("validate", None) or [])
        validators.append(
            validate.Length(
                max=max_length, error=f"Must be at most {max_length} characters."
            )
        )
        validators.append(reject_nul)
        validators.append(reject_unpaired_surrogates)
        super().__init__(validate=validators, **kwargs)


class Metadata(fields.Dict):
    """A string-to-string map with bounded size; ``null`` loads as ``None``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_none", True)
        super().__init__(
            keys=BoundedString(MAX_METADATA_KEY_LENGTH),
            values=BoundedString(MAX_METADATA_VALUE_LENGTH),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict) and len(value) > MAX_METADATA_ENTRIES:
            raise ValidationError(
                f"Metadata has more than {MAX_METADATA_ENTRIES} entries."
            )
        result = super()._deserialize(value, attr, data, **kwargs)
        trimmed = {key.strip(): item.strip() for key, item in result.items()}
        if len(trimmed) != len(result):
            raise ValidationError("Metadata keys are identical after trimming.")
        return trimmed


class BoundedList(fields.List):
    """A list of at most ``max_length`` items."""

    def __init__(self, inner, max_length: int = MAX_LIST_LENGTH, **kwargs):
        self.max_length = max_length
        super().__init__(inner, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list) and len(value) > self.max_length:
            raise ValidationError(f"List has more than {self.max_length} items.")
        return super()._deserialize(value, attr, data, **kwargs)
