"""The dashboard's figures on the hand-built data set, the caseload behind each of them, and its cost."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from agreements.models import Installment, Term
from cases.models import Case
from mediation.models import MediatorProfile, Meeting
from reports.dashboard import dashboard
from tests.factories import CaseFactory
from tests.reports.dataset import PERIOD, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(program, mediator):
    cases = build(program)
    now = timezone.now()
    Case.objects.filter(pk=cases["F"].pk).update(stage_changed_at=now - timedelta(days=20), lead_mediator=mediator)
    Case.objects.filter(pk=cases["B"].pk).update(lead_mediator=mediator)
    Case.objects.filter(pk=cases["D"].pk).update(co_mediator=mediator)
    MediatorProfile.objects.create(user=mediator, max_active_cases=2)
    term = Term.objects.get(agreement__case=cases["B"], kind="money")
    Installment.objects.create(term=term, number=1, due_date=timezone.localdate() - timedelta(days=30), amount=500)
    noon = timezone.make_aware(datetime.combine(timezone.localdate(), time(12)))
    Meeting.objects.create(case=cases["B"], kind=Meeting.Kind.PREP_VICTIM, scheduled_for=noon, created_by=mediator)
    return cases


def bars(chart):
    return {bar.label: bar for bar in chart.bars}


def test_dashboard_figures(program, data, mediator):
    board = dashboard(program, PERIOD, timezone.now())
    funnel = bars(board.funnel)
    assert [(b.label, b.value) for b in board.funnel.bars] == [
        ("Referred", 6), ("Screening", 5), ("Prepared", 4), ("Joint session", 4), ("Agreement", 3), ("Completed", 1),
    ]  # fmt: skip
    assert funnel["Agreement"].text == "3 (50%)"
    stages = bars(board.stages)
    assert (stages["Referred"].value, stages["Screening"].value, stages["Follow-up"].value) == (1, 1, 1)
    assert stages["Preparation"].value == 0
    assert stages["Screening"].note == "median 20 days in stage"
    overdue = {figure.label: figure.value for figure in board.overdue}
    assert overdue == {
        "Cases stuck in their stage": 1,
        "Agreements behind": 1,
        "Reoffending checks due, not recorded": 1,
    }
    assert [m.case.number for m in board.sessions] == ["R-B"] and board.sessions_total == 1
    workload = bars(board.workload)
    assert workload[mediator.get_full_name()].value == 3
    assert workload[mediator.get_full_name()].detail == "3 of 2 (over the maximum)"
    restitution = {row.label: row.cells[0].value for row in board.restitution.rows}
    assert restitution["Money agreed (first signed version)"] == Decimal("1000.00")
    assert restitution["Money collected (share of agreed, as amended)"] == Decimal("450.00")
    assert restitution["Held by the program, not yet forwarded"] == Decimal("450.00")


def test_unrecorded_checks_are_counted_up_to_a_limit(client, program, data, coordinator, monkeypatch):
    """A backlog of unrecorded checks grows with every closed case of the program's history: counted up to
    CHECKS_COUNTED (a bounded read), then shown as that many and more."""
    from cases.models import OutcomeCheck
    from reports import dashboard as board_module

    client.force_login(coordinator)
    query = {"start": PERIOD.start, "end": PERIOD.end}
    checks = '<span class="figure__value">{}</span> <span class="figure__label">Reoffending checks due'
    assert checks.format("1") in client.get("/dashboard/", query).content.decode()
    OutcomeCheck.objects.create(case=data["A"], party=data["A"].offender, months=30,
                                due_on=timezone.localdate() - timedelta(days=1))  # fmt: skip
    monkeypatch.setattr(board_module, "CHECKS_COUNTED", 1)
    assert checks.format("1+") in client.get("/dashboard/", query).content.decode()
    monkeypatch.setattr(board_module, "CHECKS_COUNTED", 2)
    assert checks.format("2") in client.get("/dashboard/", query).content.decode()


def test_every_dashboard_figure_opens_the_caseload_behind_it(client, program, data, coordinator):
    client.force_login(coordinator)
    board = dashboard(program, PERIOD, timezone.now())
    for chart in (board.funnel, board.stages):
        for bar in chart.bars:
            response = client.get(bar.url)
            assert response.status_code == 200, bar.url
            assert response.context["page"].paginator.count == bar.value, (chart.key, bar.label, bar.url)
    for bar in board.workload.bars:
        assert client.get(bar.url).context["page"].paginator.count == bar.value
    stuck, late = board.overdue[:2]
    assert client.get(stuck.url).context["page"].paginator.count == stuck.value
    listed = client.get(late.url)  # the Follow-up list's overdue and defaulted agreements
    assert listed.context["page"].paginator.count == late.value == 1
    assert [row["status"] for row in listed.context["rows"]] == ["overdue"]  # due 30 days ago: not yet defaulted


def test_dashboard_page_renders_charts_with_tables(client, program, data, coordinator):
    client.force_login(coordinator)
    response = client.get("/dashboard/", {"start": PERIOD.start, "end": PERIOD.end})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<svg class="chart__svg"') == 3
    assert html.count('role="img"') == 3 and "<desc" in html
    assert html.count('class="table table--compact chart__table"') == 3
    assert "Meetings this week" in html and "R-B" in html
    assert "no-store" in response["Cache-Control"]


def test_dashboard_query_count_does_not_grow_with_cases(client, program, data, coordinator, django_assert_num_queries):
    client.force_login(coordinator)
    query = {"start": PERIOD.start, "end": PERIOD.end}
    client.get("/dashboard/", query)
    # 1 session, 2 user, 3 the two-factor device that verified the session, 4 memberships, 5 program count,
    # 6 the program (form), 7 the period's stored figures a day (funnel and restitution, ``reports.cohort``),
    # 8 stages with medians and stuck cases, 9-11 overdue (follow-up summaries older than their agreement
    # (none), agreements behind, checks), 12 meetings this week, 13-14 workload (mediators, open cases by lead
    # and co-mediator), 15-16 text messages (sent and failed, opted out), 17 program choices (rendered), 18 the
    # audit row of this view
    with django_assert_num_queries(18):
        client.get("/dashboard/", query)
    for index in range(12):
        CaseFactory(program=program, number=f"More-{index}", referral_date=PERIOD.start, stage="screening")
    # The day the new cases were referred is stale: its figures recomputed (one query) and stored (one). SQLite
    # stores no figures (no triggers): each read computes them in the one query, as above.
    with django_assert_num_queries(20 if connection.vendor == "postgresql" else 18):
        client.get("/dashboard/", query)


def test_dashboard_refuses_a_reversed_period_and_other_roles(client, program, coordinator, mediator):
    client.force_login(coordinator)
    response = client.get("/dashboard/", {"start": "2026-05-01", "end": "2026-04-01"})
    assert b"The period ends before it starts" in response.content
    assert "board" not in response.context
    client.force_login(mediator)
    assert client.get("/dashboard/").status_code == 404


def test_a_period_without_referrals_says_so_and_still_shows_todays_work(client, program, data, coordinator):
    client.force_login(coordinator)
    response = client.get("/dashboard/", {"start": "2001-01-01", "end": "2001-12-31"})
    html = response.content.decode()
    assert response.status_code == 200 and response.context["board"].referred == 0
    assert "No cases were referred from Jan 1, 2001 to Dec 31, 2001." in html
    assert response.context["board"].overdue[0].value == 1  # stuck cases are today's, whatever the period
    with_cases = client.get("/dashboard/", {"start": PERIOD.start, "end": PERIOD.end}).content.decode()
    assert "No cases were referred" not in with_cases


def test_workload_lists_the_busiest_mediators_first_and_says_how_many_are_left_out(program, data, mediator):
    from reports.dashboard import WORKLOAD_LISTED
    from tests.factories import MembershipFactory, UserFactory

    idle = []
    for i in range(WORKLOAD_LISTED + 2):
        user = UserFactory(username=f"idle{i}", first_name="Ida", last_name=f"Idle {i:02}")
        idle.append(MembershipFactory(program=program, user=user).user)
    busy = idle.pop()  # one open case and no maximum: after the mediator over theirs, before the idle ones
    CaseFactory(program=program, number="W-1", stage="screening", lead_mediator=busy)
    board = dashboard(program, PERIOD, timezone.now())
    chart = board.workload
    assert len(chart.bars) == WORKLOAD_LISTED
    assert [bar.label for bar in chart.bars[:3]] == ["Grace Okafor", busy.get_full_name(), "Ida Idle 00"]
    assert chart.bars[0].detail == "3 of 2 (over the maximum)" and chart.bars[1].value == 1
    total = WORKLOAD_LISTED + 3
    assert chart.title.endswith(f"(the {WORKLOAD_LISTED} busiest of {total} mediators; {total - 2} carry no open case)")
    assert chart.bars[2].value == 0
    # Each value is written clear of the dotted line that marks the mediator's maximum.
    assert all(bar.value_x > bar.limit_x for bar in chart.bars if bar.limit_x is not None)
