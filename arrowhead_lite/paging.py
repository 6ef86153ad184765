"""Paging and sorting query parameters of the list endpoints."""

from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from .errors import BadPayload
from .errors import InvalidParameter
from .extensions import db

MAX_PAGING_VALUE = 2**31 - 1


@dataclass(frozen=True)
class PageRequest:
    """A parsed ``page``/``item_per_page``/``sort_field``/``direction`` request."""

    page: int | None
    size: int | None
    sort_field: str
    descending: bool


def parse_page_request(
    args: MultiDict, sortable: tuple[str, ...], default_field: str = "id"
) -> PageRequest:
    """Validate the paging parameters of a list request.

    Both ``page`` and ``item_per_page`` omitted means everything. A negative page
    counts as page 0 and a size below 1 as unlimited, as in the reference.

    :raises BadPayload: for a non-integer page or size, or only one of them.
    :raises InvalidParameter: for an unknown direction or sort field.
    """
    page = _optional_int(args, "page")
    size = _optional_int(args, "item_per_page")
    if (page is None) != (size is None):
        raise BadPayload(
            "Defined page or size could not be with undefined size or page."
        )

    direction = args.get("direction", "ASC").strip().upper() or "ASC"
    if direction not in ("ASC", "DESC"):
        raise InvalidParameter(
            f"Invalid sort direction flag {direction!r}; use ASC or DESC."
        )

    sort_field = args.get("sort_field", default_field).strip() or default_field
    if sort_field not in sortable:
        raise InvalidParameter(
            f"Sortable field with reference '{sort_field}' is not available; "
            f"use one of {', '.join(sortable)}."
        )

    if page is not None and page < 0:
        page = 0
    if size is not None and size < 1:
        page, size = None, None
    return PageRequest(page, size, sort_field, direction == "DESC")


def _optional_int(args: MultiDict, name: str) -> int | None:
    text = args.get(name)
    if text is None or text.strip() == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise BadPayload(
            f"Query parameter {name}={text!r} is not an integer."
        ) from None

    # Java's Integer bound, as in the reference, which also keeps the offset
    # within the databases' 64-bit integers.
    if abs(value) > MAX_PAGING_VALUE:
        raise BadPayload(
            f"Query parameter {name}={text!r} is outside -{MAX_PAGING_VALUE} to "
            f"{MAX_PAGING_VALUE}."
        )
    return value


def paginate(
    statement: Select, page_request: PageRequest, columns: dict
) -> tuple[list, int]:
    """Run ``statement`` sorted and paged; return the rows and the total count.

    :param columns: maps each sortable field name to its column.
    """
    count_statement = select(func.count()).select_from(
        statement.order_by(None).subquery()
    )
    total = db.session.execute(count_statement).scalar_one()

    column = columns[page_request.sort_field]
    order = column.desc() if page_request.descending else column.asc()
    statement = statement.order_by(order)
    if page_request.sort_field != "id":
        id_column = columns["id"]
        statement = statement.order_by(
            id_column.desc() if page_request.descending else id_column.asc()
        )

    if page_request.size is not None:
        statement = statement.limit(page_request.size).offset(
            page_request.page * page_request.size
        )
    items = db.session.execute(statement).unique().scalars().all()
    return list(items), total
