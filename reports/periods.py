"""Reporting periods: a start and an end day, both included, and the presets offered beside them."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def moments(self) -> tuple[datetime, datetime]:
        """Its first moment and the first moment after it, in the program's time zone: a range an index
        on a datetime column can serve (``field__date__range`` casts every row instead)."""
        days = (self.start, self.end + timedelta(days=1))
        return tuple(timezone.make_aware(datetime.combine(day, time.min)) for day in days)

    def __str__(self) -> str:
        return f"{self.start:%b %-d, %Y} to {self.end:%b %-d, %Y}"


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def last_quarter(today: date) -> Period:
    end = quarter_start(today) - timedelta(days=1)
    return Period(quarter_start(end), end)


def presets(today: date) -> list[tuple[str, Period]]:
    """The periods a coordinator asks about most, newest first."""
    return [
        ("Last 90 days", Period(today - timedelta(days=89), today)),
        ("This quarter so far", Period(quarter_start(today), today)),
        ("Last quarter", last_quarter(today)),
        ("This year so far", Period(date(today.year, 1, 1), today)),
        ("Last year", Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))),
        ("Last 12 months", Period(today - timedelta(days=364), today)),
    ]
