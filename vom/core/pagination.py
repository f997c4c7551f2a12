"""Paging long lists: a paginator that stops counting (long lists say "more than 10,000" instead of counting every
row), and keyset pages whose "Next" and "Previous" seek to the row they continue from instead of counting the
rows before it."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.http import QueryDict
from django.utils.functional import cached_property

COUNT_BOUND = 10_000
# A page number past this is treated as this one (then as the last page): it keeps the count's LIMIT a number
# the database takes, whatever the address says.
MAX_PAGE = 10**6


def _page_number(number) -> int:
    try:
        return min(MAX_PAGE, max(1, int(number)))
    except (TypeError, ValueError):
        return 1


class BoundedPaginator(Paginator):
    """Counts ``counted`` (the listed rows without their joins) only as far as it must: up to ``bound`` rows, or
    one row past the page asked for. A million-case program is not counted on every request (its count read
    every row of the program's index), yet every page stays reachable by "Next", and the count shown is
    exact whenever it is below the bound.

    ``more`` is true when the count stopped early: the list holds more than ``at_least`` rows."""

    def __init__(self, object_list, per_page, *, counted, number, bound: int | None = None):
        super().__init__(object_list, per_page)
        self.limit = max(COUNT_BOUND if bound is None else bound, _page_number(number) * per_page) + 1
        self._counted = counted

    @cached_property
    def count(self) -> int:
        return self._counted.order_by().values("pk")[: self.limit].count()

    @property
    def more(self) -> bool:
        return self.count >= self.limit

    @property
    def at_least(self) -> int:
        return self.limit - 1


# --- Keyset ("seek") pages: Next and Previous carry the sort key of the row they continue from --------------------

CURSOR_SEPARATOR = "~"  # between the sort key and the id: the id is everything after the last one
LARGEST_ID = 2**63 - 1  # a bigint: a larger id in an address would be an error of the database, not a page
LONGEST_KEY = 100


def _write_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _read_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("a moment without its time zone")
    return value.astimezone(UTC)  # OverflowError near year 1 or 9999, here rather than in the database adapter


def _read_text(text: str) -> str:
    if "\x00" in text:  # PostgreSQL refuses NUL in text: not a key any row has
        raise ValueError("NUL")
    return text


_KEY_FORMATS = {  # model field class -> (read, write)
    models.DateTimeField: (_read_datetime, _write_datetime),
    models.DateField: (date.fromisoformat, date.isoformat),
    models.CharField: (_read_text, str),
}


@dataclass(frozen=True)
class KeysetOrder:
    """A list ordered by one non-null column, ties broken by the primary key in the same direction: the order
    in which "Next" continues after a row's (key, id) instead of counting rows from the start (OFFSET), so
    that page 100 reads the page's rows from the ordered index like page 1 does."""

    column: str
    descending: bool
    read_key: Callable[[str], object]
    write_key: Callable[[object], str]

    @classmethod
    def of(cls, model, sort: str) -> "KeysetOrder":
        """``sort`` as ``order_by`` takes it ("-referral_date"), over a non-null column of ``model``."""
        column = sort.removeprefix("-")
        field = model._meta.get_field(column)
        if field.null:
            raise ValueError(f"{column} may be null: rows without a key would have no place in the order")
        read, write = next(formats for kind, formats in _KEY_FORMATS.items() if isinstance(field, kind))
        return cls(column, sort.startswith("-"), read, write)

    def order_by(self, *, reverse: bool = False) -> tuple[str, str]:
        sign = "-" if self.descending != reverse else ""
        return f"{sign}{self.column}", f"{sign}pk"

    def cursor(self, row: dict) -> str:
        """Where a values ``row`` (holding the column and ``pk``) stands in the order, for an address."""
        return f"{self.write_key(row[self.column])}{CURSOR_SEPARATOR}{row['pk']}"

    def read(self, text: str) -> tuple[object, int] | None:
        """The (key, id) of ``cursor``'s text; None for text no row could have written."""
        key, separator, pk = text.rpartition(CURSOR_SEPARATOR)
        if not separator or len(key) > LONGEST_KEY:
            return None
        try:
            key, pk = self.read_key(key), int(pk)
        except (TypeError, ValueError, OverflowError):
            return None
        return (key, pk) if 0 < pk <= LARGEST_ID else None

    def beyond(self, queryset, key, pk: int, *, reverse: bool = False):
        """The rows after (key, id) in this order (before it, nearest first, with ``reverse``). Written as a range
        of the column the index can seek to, then the ties on the key by id: an OR of the two conditions
        would be a filter over the index from its start."""
        forward = "lt" if self.descending != reverse else "gt"
        near = forward[0] + "te"
        return (
            queryset.filter(**{f"{self.column}__{near}": key})
            .filter(Q(**{f"{self.column}__{forward}": key}) | Q(**{f"pk__{forward}": pk}))
            .order_by(*self.order_by(reverse=reverse))
        )


@dataclass
class KeysetPage:
    """One page of a list in a ``KeysetOrder``: what the template of a paged list needs (``number``,
    ``paginator`` for the bounded count, ``has_previous``/``has_next``), and the two links' addresses."""

    object_list: list
    number: int
    paginator: BoundedPaginator
    has_previous: bool
    has_next: bool
    previous_url: str = ""
    next_url: str = ""
    notice: str = ""


def keyset_page(
    rows, *, order: KeysetOrder, params: QueryDict, path: str, per_page: int, counted, bound: int | None = None
) -> KeysetPage:
    """The page of ``rows`` (values holding ``pk`` and the order's column) the address asks for: ``after`` (or
    ``before``) a cursor that "Next" (or "Previous") wrote, read by seeking in the order; else page ``page``
    counted from the start (an address typed in or bookmarked: OFFSET, as the database must count rows to
    know where page N starts). A cursor no row could have written, or past the end of the list, gives the first
    page and says so; never an error."""
    query = params.copy()
    for name in ("page", "after", "before"):
        query.pop(name, None)
    cursor, backwards = params.get("after"), False
    if cursor is None and params.get("before") is not None:
        cursor, backwards = params.get("before"), True
    notice, page = "", None
    if cursor is not None:
        at = order.read(cursor)
        if at is None:
            notice = "That page's address was not valid: this is the first page."
        else:
            page = _seek(
                rows, order, at, backwards, params.get("page"), per_page, _counter(rows, per_page, counted, bound)
            )
            if page is None and not backwards:
                notice = "That page is past the end of the list: this is the first page."
    if page is None:
        number = None if cursor is not None else params.get("page")
        ordered = rows.order_by(*order.order_by())
        offset = BoundedPaginator(ordered, per_page, counted=counted, number=number, bound=bound)
        paged = offset.get_page(number)
        page = KeysetPage(list(paged.object_list), paged.number, offset, paged.has_previous(), paged.has_next())
    page.notice = notice
    page.next_url = _address(path, query, order, page, page.object_list[-1:], "after", page.number + 1)
    page.previous_url = _address(path, query, order, page, page.object_list[:1], "before", page.number - 1)
    return page


def _seek(rows, order: KeysetOrder, at, backwards: bool, number, per_page: int, counter) -> KeysetPage | None:
    """The page after (before) the cursor ``at``; None when there is none (past either end of the list). Whether
    there is a next page is known from one row more than the page, so the count stops at its bound whatever the
    page's number (a numbered page counts one row past itself: its "Next" depends on it)."""
    found = list(order.beyond(rows, *at, reverse=backwards)[: per_page + 1])
    if backwards:
        if len(found) <= per_page:  # nothing before these rows: the first page (read from the start, to fill it)
            return None
        number = max(2, _page_number(number))
        return _numbered(KeysetPage(found[per_page - 1 :: -1], number, counter, True, True))
    if not found:
        return None
    number = max(2, _page_number(number))
    return _numbered(KeysetPage(found[:per_page], number, counter, True, len(found) > per_page))


def _counter(rows, per_page: int, counted, bound: int | None) -> BoundedPaginator:
    return BoundedPaginator(rows, per_page, counted=counted, number=1, bound=bound)


def _numbered(page: KeysetPage) -> KeysetPage:
    """A page number from the address is not checked by seeking: no larger than the last page, when counted."""
    if not page.paginator.more:
        page.number = min(page.number, page.paginator.num_pages)
    return page


def _address(path: str, query: QueryDict, order: KeysetOrder, page: KeysetPage, rows, direction: str, number: int):
    wanted = page.has_next if direction == "after" else page.has_previous
    if not wanted or not rows:
        return ""
    linked = query.copy()
    if number > 1:  # the first page is the list's own address: no cursor to go stale
        linked[direction] = order.cursor(rows[0])
        linked["page"] = str(number)
    encoded = linked.urlencode()
    return f"{path}?{encoded}" if encoded else path
