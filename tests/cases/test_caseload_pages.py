"""The caseload's pages: "Next" and "Previous" seek to the row they continue from (keyset pages), for every sort."""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import views
from cases.forms import CaseloadFilterForm
from cases.models import Case
from tests.factories import CaseFactory, MembershipFactory, PartyFactory, ProgramFactory

SORTS = list(CaseloadFilterForm.SORTS)
DAYS = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
MOMENTS = [datetime(2026, 3, 1, 9, tzinfo=UTC), datetime(2026, 3, 1, 9, 0, 0, 250, tzinfo=UTC)]


def link(response, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]*)" rel="{rel}">', response.content.decode())
    return unescape(found.group(1)) if found else None


def listed(response) -> list[int]:
    assert response.status_code == 200
    return [row["pk"] for row in response.context["page"].object_list]


def walk(client, start: str, rel: str) -> tuple[list[list[int]], str]:
    """Each page's rows from ``start`` on, following the links the pages render; and the last address."""
    pages, address = [], start
    while True:
        response = client.get(address)
        pages.append(listed(response))
        assert len(pages) < 100, "the links go round in circles"
        following = link(response, rel)
        if following is None:
            return pages, address
        address = following


def numbered(client, sort: str) -> list[list[int]]:
    """The pages as numbered addresses (``?page=N``, counted from the start) list them."""
    pages, number = [], 1
    while True:
        response = client.get("/cases/", {"sort": sort, "page": number})
        if response.context["page"].number < number:  # past the end: the last page again
            return pages
        pages.append(listed(response))
        number += 1


_cases = st.lists(
    st.tuples(st.integers(0, 1), st.integers(0, 3), st.sampled_from(DAYS), st.sampled_from(MOMENTS)), max_size=10
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=_cases, per_page=st.integers(1, 4))
def test_next_visits_every_case_once_in_the_order_of_the_numbered_pages(client, monkeypatch, cases, per_page):
    """Ties in every sort key: a few dates and moments, and the same case numbers in two programs of one
    coordinator. Previous walks the same pages back."""
    monkeypatch.setattr(views, "CASELOAD_PAGE_SIZE", per_page)
    with transaction.atomic():
        programs = [ProgramFactory(), ProgramFactory()]
        coordinator = MembershipFactory(program=programs[0], role="coordinator").user
        MembershipFactory(user=coordinator, program=programs[1], role="coordinator")
        CaseFactory(program=ProgramFactory())  # not the coordinator's: never listed
        taken = set()
        for program, number, day, moment in cases:
            if (program, number) not in taken:
                taken.add((program, number))
                CaseFactory(program=programs[program], number=f"2026-{number:04d}", referral_date=day,
                            stage_changed_at=moment)  # fmt: skip
        client.force_login(coordinator)
        mine = Case.objects.filter(program__in=programs)
        for sort in SORTS:
            expected = list(mine.order_by(sort, "-pk" if sort.startswith("-") else "pk").values_list("pk", flat=True))
            forward, last = walk(client, f"/cases/?sort={sort}", "next")
            assert [pk for page in forward for pk in page] == expected, sort
            assert forward == (numbered(client, sort) or [[]]), sort
            assert all(len(page) == per_page for page in forward[:-1]), sort
            backward, first = walk(client, last, "prev")
            assert backward == forward[::-1], sort
            assert first == f"/cases/?sort={sort}"  # Previous from page 2 is the list's own address
        transaction.set_rollback(True)


def ties(program, mediator, n: int) -> None:
    for index in range(n):
        case = CaseFactory(program=program, lead_mediator=mediator, referral_date=DAYS[index % 3])
        PartyFactory(case=case, role="offender")


@pytest.mark.django_db
def test_next_and_previous_carry_the_rows_sort_key_and_the_page_number(client, program, coordinator, mediator):
    ties(program, mediator, 120)  # 40 cases a day: page 2 starts in the middle of a day
    client.force_login(coordinator)
    first = client.get("/cases/", {"stage": "referred"})
    last_row = first.context["page"].object_list[-1]
    assert link(first, "prev") is None
    assert link(first, "next") == f"/cases/?stage=referred&after={last_row['referral_date']}~{last_row['pk']}&page=2"
    second = client.get(link(first, "next"))
    assert second.context["page"].number == 2 and "<span>Page 2 of 3</span>" in second.content.decode()
    third = client.get(link(second, "next"))
    assert len(listed(third)) == 20 and link(third, "next") is None
    assert listed(client.get(link(third, "prev"))) == listed(second)
    assert link(second, "prev") == "/cases/?stage=referred"
    assert listed(second) == listed(client.get("/cases/", {"stage": "referred", "page": 2}))  # typed in: same rows


# Text no Next or Previous link writes, for any sort: no separator, no id, an id no bigint holds, NUL, too long.
NOT_CURSORS = [
    "", "~", "garbage", "12", "2026-03-01~", "2026-03-01~x", "2026-03-01~0", "2026-03-01~-3",
    "2026-03-01~99999999999999999999999", "2026-03-01~9223372036854775808", "\x00~1", "x" * 101 + "~1",
]  # fmt: skip
# Not a date, nor an aware moment that fits the calendar in UTC (but text a case number could sort after).
NOT_MOMENTS = ["2026-13-01~5", "2026-03-01T09:00:00~1", "0001-01-01T00:00:00+05:00~1", "9999-12-31T23:59:59-05:00~1"]


@pytest.mark.django_db
@pytest.mark.parametrize("sort", SORTS)
def test_a_tampered_cursor_gives_the_first_page_and_says_so(client, program, coordinator, mediator, sort):
    ties(program, mediator, 3)
    client.force_login(coordinator)
    plain = listed(client.get("/cases/", {"sort": sort}))
    for cursor in NOT_CURSORS + NOT_MOMENTS:
        refused = cursor in NOT_CURSORS or sort != "number"
        for direction in ("after", "before"):
            response = client.get("/cases/", {"sort": sort, direction: cursor, "page": "7"})
            assert response.status_code == 200, cursor
            if refused:
                page = response.context["page"]
                assert page.notice == "That page's address was not valid: this is the first page.", cursor
                assert page.number == 1 and listed(response) == plain, cursor
                assert "this is the first page" in response.content.decode()


@pytest.mark.django_db
def test_a_cursor_past_the_end_or_before_the_start_gives_the_first_page(client, program, coordinator, mediator):
    ties(program, mediator, 3)
    client.force_login(coordinator)
    plain = listed(client.get("/cases/"))
    past = client.get("/cases/", {"after": "1900-01-01~1", "page": "5"})
    assert listed(past) == plain and past.context["page"].number == 1
    assert "past the end of the list" in past.content.decode()
    before = client.get("/cases/", {"before": "2999-01-01~1", "page": "5"})
    assert listed(before) == plain and before.context["page"].number == 1 and not before.context["page"].notice


@pytest.mark.django_db
def test_a_cursor_never_lists_a_case_the_user_may_not_see(client, program, other_program, coordinator, mediator):
    ties(program, mediator, 3)
    outside = CaseFactory(program=other_program, referral_date=DAYS[2] + timedelta(days=1))
    client.force_login(coordinator)
    response = client.get("/cases/", {"after": f"{DAYS[2] + timedelta(days=2)}~{outside.pk + 1}", "page": "2"})
    assert outside.pk not in listed(response)
    assert set(listed(response)) == set(Case.objects.filter(program=program).values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("sort", SORTS)
def test_a_later_page_reads_as_few_queries_as_the_first(
    client, program, coordinator, mediator, sort, monkeypatch, django_assert_num_queries
):
    ties(program, mediator, 7)
    client.force_login(coordinator)
    client.get("/cases/")  # the first request after sign-in stamps the session (idle timeout)
    monkeypatch.setattr(views, "CASELOAD_PAGE_SIZE", 3)
    next_page = link(client.get("/cases/", {"sort": sort}), "next")
    # 1 session, 2 user, 3 the two-factor device, 4 memberships, 5 count (bounded), 6 the page's rows after the
    # cursor, 7 offenders' and victims' names: as the first page.
    with django_assert_num_queries(7):
        response = client.get(next_page)
    assert response.context["page"].number == 2 and len(listed(response)) == 3


@pytest.mark.django_db
def test_a_page_reached_by_next_counts_only_to_the_bound_and_knows_its_last_page(
    client, program, coordinator, mediator, monkeypatch
):
    from vom.core import pagination

    monkeypatch.setattr(views, "CASELOAD_PAGE_SIZE", 2)
    monkeypatch.setattr(pagination, "COUNT_BOUND", 3)
    ties(program, mediator, 7)
    client.force_login(coordinator)
    pages, last = walk(client, "/cases/", "next")
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    body = " ".join(client.get(last).content.decode().split())
    # Page 4 no longer counts one row past itself (7 rows): "Next" knows from one row more than the page.
    assert "More than 3 cases." in body and "<span>Page 4</span>" in body and 'rel="next"' not in body


@pytest.mark.django_db
def test_a_name_search_counts_its_matches_only_to_its_own_bound(client, program, coordinator, mediator, monkeypatch):
    from cases import selectors

    def shown(**query) -> tuple[str, list[int]]:
        response = client.get("/cases/", query)
        return " ".join(response.content.decode().split()), listed(response)

    monkeypatch.setattr(selectors, "SEARCH_COUNT_BOUND", 2)
    monkeypatch.setattr(views, "CASELOAD_PAGE_SIZE", 1)  # a page counts at least to its own end
    ties(program, mediator, 4)
    for case in Case.objects.filter(program=program)[:3]:
        PartyFactory(case=case, role="victim", person__last_name="Okafor")
    client.force_login(coordinator)
    body, rows = shown(q="okaf")
    assert "More than 2 cases." in body and len(rows) == 1
    assert "4 cases." in shown()[0]  # the list itself counts to its own bound
    monkeypatch.setattr(selectors, "SEARCH_COUNT_BOUND", 3)
    assert "3 cases." in shown(q="okaf")[0]  # below the bound: exact
