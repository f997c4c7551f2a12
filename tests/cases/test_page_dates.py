"""Dates the case page and the mediator's home write in Python must read as the ``date`` filter writes them."""

import pytest


@pytest.mark.parametrize("hour", [0, 9, 11, 12, 13, 23])
@pytest.mark.parametrize("language", ["en", "es"])
def test_journal_times_are_written_as_the_date_filter_writes_them(hour, language):
    from datetime import UTC, datetime

    from django.template import Context, Template
    from django.utils import translation

    from cases.selectors import JournalTimes

    at = datetime(2026, 3, 4, hour, 7, 5, tzinfo=UTC)
    shown = Template('{{ at|date:"M j, Y H:i" }}|{{ at|date:"c" }}|{{ at|date:"M j, Y g:i:s A T" }}')
    with translation.override(language):
        times = JournalTimes()
        local, when = times.when(at)
        assert f"{when}|{local.isoformat()}|{times.precise(local)}" == shown.render(Context({"at": at}))


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_mediator_homes_due_dates_are_written_as_the_date_filter_writes_them(language):
    from datetime import date, timedelta

    from django.template import Context, Template
    from django.utils import translation

    from cases.selectors import day_and_date, month_abbreviations

    with translation.override(language):
        for offset in range(0, 365, 29):  # every weekday and month
            day = date(2026, 1, 5) + timedelta(days=offset)
            assert day_and_date(day, month_abbreviations()) == Template('{{ d|date:"D M j" }}').render(
                Context({"d": day})
            )
