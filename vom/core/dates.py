"""The one range every date a person types must fall in, and the form fields that enforce it.

A date typed as 9999-12-31 (or a meeting at 9999-12-31T23:59, which is year 10000 in UTC) used to pass
the forms and then break the database, the reports' period arithmetic or an installment schedule with
a 500. Every typed date is now checked here: not before 1900, not more than 50 years ahead, and for
dates that cannot lie ahead (a birth date) not after today. Forms use ``BoundedDateField`` and
``BoundedDateTimeField`` (model forms through ``bounded_formfield``), Django admin through
``BoundedDatesAdminMixin``; services that compute dates from typed ones (installment schedules) ask
``date_problem``.
"""

import datetime

from dateutil.relativedelta import relativedelta
from django import forms
from django.db import models
from django.utils import timezone

EARLIEST = datetime.date(1900, 1, 1)
YEARS_AHEAD = 50


def latest(today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()) + relativedelta(years=YEARS_AHEAD)


def _day(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def date_problem(value, *, past_only: bool = False, today: datetime.date | None = None) -> str | None:
    """Why ``value`` (a date or datetime) is outside the range a person may type, or None."""
    if value is None:
        return None
    today = today or timezone.localdate()
    day = _day(value)
    if past_only and day > today:
        return "This date cannot be in the future."
    if not EARLIEST <= day <= latest(today):
        return f"Enter a date between {EARLIEST:%b %-d, %Y} and {latest(today):%b %-d, %Y}."
    return None


class _Bounded:
    """Shared by the bounded fields: the range check after the field's own validation."""

    def __init__(self, *args, past_only: bool = False, **kwargs):
        self.past_only = past_only
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        problem = date_problem(value, past_only=self.past_only)
        if problem:
            raise forms.ValidationError(problem, code="date_out_of_range")


class BoundedDateField(_Bounded, forms.DateField):
    """A date between 1900 and 50 years ahead (``past_only``: up to today)."""


class BoundedDateTimeField(_Bounded, forms.DateTimeField):
    """A date and time whose day is between 1900 and 50 years ahead."""


class BoundedSplitDateTimeField(_Bounded, forms.SplitDateTimeField):
    """Django admin's date-and-time pair, bounded the same way."""


def bounded_formfield(db_field, **kwargs):
    """``Meta.formfield_callback`` for model forms: date and datetime columns get the bounded fields."""
    if isinstance(db_field, models.DateTimeField):
        kwargs.setdefault("form_class", BoundedDateTimeField)
    elif isinstance(db_field, models.DateField):
        kwargs.setdefault("form_class", BoundedDateField)
    return db_field.formfield(**kwargs)


class BoundedDatesAdminMixin:
    """For every ModelAdmin and inline: typed dates bounded as in the app's own forms.

    ``past_only_fields`` names dates that cannot lie ahead (birth dates)."""

    past_only_fields: tuple[str, ...] = ("date_of_birth",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DateTimeField):
            kwargs.setdefault("form_class", BoundedSplitDateTimeField)
        elif isinstance(db_field, models.DateField):
            kwargs.setdefault("form_class", BoundedDateField)
        if isinstance(db_field, models.DateField) and db_field.name in self.past_only_fields:
            kwargs.setdefault("past_only", True)
        return super().formfield_for_dbfield(db_field, request, **kwargs)
