"""format_instant writes what the contract expects and parse_instant reads back."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from arrowhead_lite.timestamps import format_instant
from arrowhead_lite.timestamps import parse_instant


def test_format_instant_whole_seconds():
    value = datetime(2024, 3, 19, 9, 31, 17, tzinfo=UTC)

    assert format_instant(value) == "2024-03-19T09:31:17Z"


def test_format_instant_trims_fraction_zeros():
    value = datetime(2024, 3, 19, 9, 31, 17, 120000, tzinfo=UTC)

    assert format_instant(value) == "2024-03-19T09:31:17.12Z"


def test_format_instant_full_microseconds():
    value = datetime(2024, 3, 19, 9, 31, 17, 123456, tzinfo=UTC)

    assert format_instant(value) == "2024-03-19T09:31:17.123456Z"


def test_format_instant_converts_to_utc():
    value = datetime(2024, 3, 19, 11, 31, 17, tzinfo=timezone(timedelta(hours=2)))

    assert format_instant(value) == "2024-03-19T09:31:17Z"


def test_format_instant_pads_early_year():
    value = datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)

    assert format_instant(value) == "0999-01-02T03:04:05Z"


def test_format_instant_none():
    assert format_instant(None) is None


def test_format_instant_parses_back():
    for value in (
        datetime(2024, 3, 19, 9, 31, 17, tzinfo=UTC),
        datetime(2024, 3, 19, 9, 31, 17, 5, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ):
        assert parse_instant(format_instant(value)) == value
