"""A paginator that stops counting: long lists say "more than 10,000" instead of counting every row."""

from django.core.paginator import Paginator
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
