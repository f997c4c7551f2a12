"""Every figure of the outcome report against the hand-built data set in ``dataset.py``."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from agreements.models import Agreement, Payment, Term
from cases.models import OutcomeCheck, Party
from reports.periods import Period
from reports.report import outcome_report
from reports.satisfaction import direct_survey_comments, survey_comments
from surveys.models import SurveyInvitation, SurveyResponse
from tests.factories import CaseFactory, PartyFactory
from tests.reports.dataset import PERIOD, TODAY, build
from vom.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def figures(report, section_key):
    """{row label: [(value, of), …]} for a section; columns are all, juveniles, adults."""
    section = next(s for s in report.sections if s.key == section_key)
    return {row.label: [(cell.value, cell.of) for cell in row.cells] for row in section.rows}


@pytest.fixture
def report(program):
    build(program)
    return outcome_report(program, PERIOD, TODAY)


def test_referrals_by_source_and_offense(report):
    rows = figures(report, "referrals")
    assert report.referrals == 6
    assert rows["Referrals received"] == [(6, None), (3, None), (3, None)]
    assert rows["From County Court"] == [(4, 6), (2, 3), (2, 3)]
    assert rows["From City Police"] == [(2, 6), (1, 3), (1, 3)]
    assert rows["Offense: Property"] == [(4, 6), (3, 3), (1, 3)]
    assert rows["Offense: Minor assault"] == [(1, 6), (0, 3), (1, 3)]
    assert rows["Offense: Violent"] == [(1, 6), (0, 3), (1, 3)]


def test_how_far_cases_got(report):
    rows = figures(report, "progress")
    assert rows["Reached screening (share of referrals)"] == [(5, 6), (2, 3), (3, 3)]
    assert rows["Reached preparation (share of referrals)"] == [(4, 6), (2, 3), (2, 3)]
    assert rows["Reached the joint session (share of referrals)"] == [(4, 6), (2, 3), (2, 3)]
    assert rows["Reached a written agreement (share of referrals)"] == [(3, 6), (2, 3), (1, 3)]
    assert rows["Mediated: the parties met or exchanged messages"] == [(4, 6), (2, 3), (2, 3)]
    # Ended agreements: A completed and G returned, both juvenile; no adult agreement has ended (no share).
    assert rows["Agreements fulfilled (share of agreements that ended)"] == [(1, 2), (1, 2), (0, 0)]
    assert rows["Agreements not fulfilled, returned to the referral source"] == [(1, 2), (1, 2), (0, 0)]
    assert rows["Agreements still being followed up"] == [(1, None), (0, None), (1, None)]
    assert rows["Cases still open"] == [(2, None), (1, None), (1, None)]


def test_restitution_counts_every_signed_version(report):
    rows = figures(report, "restitution")
    D = Decimal
    assert rows["Money agreed (first signed version)"] == [(D("1000.00"), None), (D("500.00"), None),
                                                           (D("500.00"), None)]  # fmt: skip
    assert rows["Changed by amendments"] == [(D("0.00"), None), (D("0.00"), None), (D("0.00"), None)]
    assert rows["Money collected (share of agreed, as amended)"] == [
        (D("450.00"), D("1000.00")), (D("350.00"), D("500.00")), (D("100.00"), D("500.00")),
    ]  # fmt: skip
    assert rows["Forwarded to victims"][0] == (D("0"), None)
    assert rows["Held by the program, not yet forwarded"][0] == (D("450.00"), None)
    assert rows["Money outstanding (current versions)"] == [
        (D("550.00"), None), (D("150.00"), None), (D("400.00"), None),
    ]  # fmt: skip
    assert rows["Service hours agreed"][0] == (D("10.00"), None)
    assert rows["Service hours performed (share of agreed, as amended)"][0] == (D("10.00"), D("10.00"))
    assert rows["Service hours outstanding"][0] == (D("0"), None)
    assert rows["Service hours agreed"][2] == (D("0"), None)


def test_restitution_in_cents_that_floats_cannot_hold(program):
    """SQLite adds decimals up as binary floats: 300.30 owed less 100.10 and 200.20 paid is 5.7e-14 there, not 0
    (the demo's dashboard answered 500 on SQLite with such a term)."""
    build(program)
    paid_in_full = Term.objects.filter(kind=Term.Kind.MONEY, agreement__status=Agreement.Status.SIGNED, amount=300)
    term = paid_in_full.get()  # case A: nothing else owed on its day, so nothing absorbs the noise
    odd = Term.objects.create(agreement=term.agreement, kind=Term.Kind.MONEY, responsible=term.responsible,
                              description="Repay the rest", amount=Decimal("300.30"), installment_count=1,
                              due_date=term.due_date)  # fmt: skip
    for amount in ("100.10", "200.20"):
        Payment.objects.create(term=odd, amount=Decimal(amount), received_on=date(2026, 4, 1), method="cash",
                               recorded_by=term.agreement.created_by)  # fmt: skip
    rows = figures(outcome_report(program, PERIOD, TODAY), "restitution")
    assert rows["Money agreed (first signed version)"][0] == (Decimal("1300.30"), None)
    assert rows["Money collected (share of agreed, as amended)"][0] == (Decimal("750.30"), Decimal("1300.30"))
    assert rows["Money outstanding (current versions)"][0] == (Decimal("550.00"), None)


def test_median_days(report):
    rows = figures(report, "time")
    # Sessions: A 20, G 24 (juveniles); B 30, E 40 (adults). Closures: C 12, E 42 (adults); A 90, G 120.
    assert rows["From referral to the joint session"] == [(27, None), (22, None), (35, None)]
    assert rows["From referral to closure"] == [(66, None), (105, None), (27, None)]


def test_satisfaction_per_question_and_side_with_anonymous_comments(report):
    rows = figures(report, "satisfaction")
    assert rows["Responses received"] == [(4, None), (2, None), (2, None)]
    assert rows["The process was fair."] == [(4.25, None), (4.0, None), (4.5, None)]
    # "Prefer not to say" (A's offender) is left out: 3 answers overall, 1 on the offender side.
    assert rows["I am satisfied with the outcome."] == [(3.67, None), (3.0, None), (5.0, None)]
    section = next(s for s in report.sections if s.key == "satisfaction")
    texts = {row.label: [c.text for c in row.cells] for row in section.rows}
    assert texts["I am satisfied with the outcome."] == ["3.7 (n = 3)", "3.0 (n = 2)", "5.0 (n = 1)"]
    assert texts["The process was fair."][0] == "4.3 (n = 4)"  # 4.25: a half rounds up
    assert report.comments == [{"text": "It helped me move on."}, {"text": "Too slow."}]  # the words alone


def test_reoffending_follows_the_people_referred_in_the_period(report):
    """Mediated: A (no), B (yes, due after the period but recorded), E (yes), G (to come); not mediated: C (yes),
    D (to come). Juveniles: A, D, G; adults: B, C, E."""
    section = next(s for s in report.sections if s.key == "reoffending")
    texts = {row.label: [c.text for c in row.cells] for row in section.rows}
    assert texts["6 months after closure, all cases"] == [
        "2 of 3 (66.7%)", "1 of 1 (100.0%)", "0.67 : 1", "0 (0 mediated, 0 not)", "2 (1 mediated, 1 not)",
    ]  # fmt: skip
    assert texts["6 months after closure, juveniles"] == [
        "0 of 1 (0.0%)", "none recorded", "—", "0 (0 mediated, 0 not)", "2 (1 mediated, 1 not)",
    ]  # fmt: skip
    assert texts["6 months after closure, adults"][:3] == ["2 of 2 (100.0%)", "1 of 1 (100.0%)", "1.00 : 1"]
    # C's 12-month check fell due and was never recorded: still to come, like everyone else's.
    assert texts["12 months after closure, all cases"] == [
        "none recorded", "none recorded", "—", "0 (0 mediated, 0 not)", "6 (4 mediated, 2 not)",
    ]  # fmt: skip
    assert "select themselves" in section.note and "one person" in section.note


def test_an_unknown_result_is_left_out_of_the_rate_and_counted_on_its_own(program):
    cases = build(program)
    OutcomeCheck.objects.filter(case=cases["E"], months=6).update(result="unknown")
    report = outcome_report(program, PERIOD, TODAY)
    section = next(s for s in report.sections if s.key == "reoffending")
    row = next(r for r in section.rows if r.label == "6 months after closure, all cases")
    assert [c.text for c in row.cells][:4] == ["1 of 2 (50.0%)", "1 of 1 (100.0%)", "0.50 : 1", "1 (1 mediated, 0 not)"]


def test_a_person_referred_twice_in_the_period_counts_once(program):
    cases = build(program)
    again = CaseFactory(program=program, number="R-A2", referral_date=date(2026, 2, 20), stage="referred")
    PartyFactory(case=again, role="offender", person=cases["A"].offender.person)
    report = outcome_report(program, PERIOD, TODAY)
    section = next(s for s in report.sections if s.key == "reoffending")
    row = next(r for r in section.rows if r.label == "6 months after closure, all cases")
    assert row.cells[4].text == "2 (1 mediated, 1 not)"  # A is counted once, with the first (mediated) case


def test_the_checks_that_fell_due_in_the_period_are_a_second_labelled_view(report):
    rows = figures(report, "reoffending_due")
    assert rows["6 months after closure, mediated"] == [(1, 2), (0, 1), (1, 1)]
    assert rows["6 months after closure, referred, not mediated"] == [(1, 1), (None, None), (1, 1)]
    assert rows["12 months after closure, referred, not mediated"] == [(0, 1), (0, 1), (None, None)]
    assert rows["12 months after closure, mediated"] == [(None, None), (None, None), (None, None)]
    section = next(s for s in report.sections if s.key == "reoffending_due")
    assert "whenever the person was referred" in section.title
    texts = {row.label: [c.text for c in row.cells] for row in section.rows}
    assert texts["6 months after closure, mediated"][0] == "1 of 2 reoffended (50.0%)"
    # C's 12-month check fell due and was never recorded: said, not counted.
    assert texts["12 months after closure, referred, not mediated"] == [
        "0 of 1 reoffended (0.0%); 1 due, not recorded",
        "0 of 1 reoffended (0.0%)",
        "none recorded; 1 due, not recorded",
    ]
    assert "select themselves" in section.note


def test_an_empty_period_says_so_without_dividing_by_zero(program, client, coordinator):
    build(program)
    empty = outcome_report(program, Period(date(2019, 1, 1), date(2019, 3, 31)), TODAY)
    assert empty.is_empty
    progress = figures(empty, "progress")
    assert progress["Reached screening (share of referrals)"] == [(0, 0), (0, 0), (0, 0)]
    client.force_login(coordinator)
    response = client.get("/reports/outcomes/", {"program": program.pk, "start": "2019-01-01", "end": "2019-03-31"})
    assert response.status_code == 200
    assert b"No cases were referred" in response.content
    pdf = client.get("/reports/outcomes.pdf", {"program": program.pk, "start": "2019-01-01", "end": "2019-03-31"})
    assert pdf.status_code == 200
    assert "No cases were referred in this period" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_report_page_csv_and_pdf_show_the_same_figures(program, client, coordinator):
    build(program)
    client.force_login(coordinator)
    query = {"program": program.pk, "start": "2026-01-01", "end": "2026-03-31"}
    page = client.get("/reports/outcomes/", query).content.decode()
    assert "$1,000.00" in page and "$450.00 (45%)" in page and "27 days (n = 4)" in page

    response = client.get("/reports/outcomes.csv", query)
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Section", "Measure", "Group", "Value", "Share (%)", "As shown"]
    lookup = {(r[0], r[1], r[2]): r for r in rows[1:]}
    assert lookup[("Referrals", "Referrals received", "All cases")][3] == "6"
    collected = ("Restitution (USD)", "Money collected (share of agreed, as amended)", "Juveniles")
    assert lookup[collected][3:5] == ["350.00", "70.0"]
    cohort = "Reoffending of the people referred in the period"
    assert lookup[(cohort, "6 months after closure, all cases", "Ratio, mediated to not mediated")][5] == "0.67 : 1"
    caveat = lookup[(cohort, "Note", "")]
    assert "select themselves" in caveat[3]  # the caveat travels with the figures, on its own line
    reoffending = "Reoffending checks that fell due in the period, whenever the person was referred"
    mediated = lookup[(reoffending, "6 months after closure, mediated", "All cases")]
    assert mediated[3:6] == ["1", "50.0", "1 of 2 reoffended (50.0%)"]
    unrecorded = lookup[(reoffending, "12 months after closure, mediated", "All cases")]
    assert unrecorded[3:6] == ["", "", "none recorded"]  # no figure, not a zero
    assert not any("R-A" in cell for row in rows for cell in row)  # no case numbers
    comments = [row for row in rows if row[0] == "Comments"]
    assert ["Comments", "", "", "Too slow.", "", ""] in comments
    people = {p.person.display_name for p in Party.objects.filter(case__program=program)}
    assert not any(name in cell for name in people for row in comments for cell in row)

    pdf = client.get("/reports/outcomes.pdf", query)
    assert pdf["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    text = " ".join(text.split())  # table cells wrap their text over lines
    for expected in ["Outcome report", "January 1, 2026", "March 31, 2026", "Referrals received", "$1,000.00",
                     "$450.00 (45%)", "1 of 2 reoffended (50.0%)", "select themselves", "0.67 : 1",
                     "Reoffending of the people referred in the period", "Page 1 of"]:  # fmt: skip
        assert expected in text, expected
    exports = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, user=coordinator)
    assert sorted(e.what.split(":")[0] for e in exports) == ["outcome report csv", "outcome report pdf"]


def test_a_reversed_period_is_refused_with_a_message(program, client, coordinator):
    client.force_login(coordinator)
    query = {"program": program.pk, "start": "2026-03-31", "end": "2026-01-01"}
    response = client.get("/reports/outcomes/", query)
    assert response.status_code == 200
    assert b"The period ends before it starts" in response.content
    assert "report" not in response.context
    download = client.get("/reports/outcomes.csv", query)
    assert download.status_code == 302 and "/reports/outcomes/?" in download["Location"]
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
    for bad in [{"start": "not-a-date"}, {"end": "2026-02-30"}, {"program": "99999"}, {"program": "x" * 5000}]:
        assert client.get("/reports/outcomes/", bad).status_code == 200


def test_another_programs_report_is_not_reachable(program, other_program, client, coordinator):
    build(other_program)
    client.force_login(coordinator)
    response = client.get("/reports/outcomes/", {"program": other_program.pk, "start": "2026-01-01"})
    assert response.status_code == 200
    assert "report" not in response.context
    assert b"County Court" not in response.content
    assert client.get("/reports/outcomes.pdf", {"program": other_program.pk}).status_code == 302


def test_report_query_count_does_not_grow_with_cases(program, coordinator, client, django_assert_num_queries):
    build(program)
    client.force_login(coordinator)
    query = {"program": program.pk, "start": "2026-01-01", "end": "2026-03-31"}
    client.get("/reports/outcomes/", query)
    # 1 session, 2 user, 3 the two-factor device that verified the session, 4 memberships, 5 program count,
    # 6 the chosen program (form), 7 program choices (rendered), then the report: 8 the period's stored figures
    # a day (progress, by source and offense, restitution: ``reports.cohort``), 9 source names, 10 the cohort's
    # offenders stored a day (whose follow-up ended, and reoffending by person: ``reports.offenders``), 11 the
    # times taken stored a day (both medians: ``reports.timing``), 12 the survey answers stored a day
    # (``reports.satisfaction``), 13 comments, 14 the checks due in the period stored a day (``reports.checks``),
    # 15 the audit row of this view. SQLite stores nothing (no
    # triggers): it reads the cohort's offenders and then their checks, one query more.
    pg = connection.vendor == "postgresql"
    with django_assert_num_queries(15 if pg else 16):
        client.get("/reports/outcomes/", query)
    build_more = [f"X{i}" for i in range(5)]
    from tests.factories import CaseFactory

    for key in build_more:
        made = CaseFactory(program=program, number=f"M-{key}", referral_date=date(2026, 2, 1))
    OutcomeCheck.objects.create(case=made, months=6, due_on=date(2026, 3, 2))
    # The day the new cases were referred (its figures, its times and its offenders: the new check is on one of its
    # cases) and the day the new check falls due are stale: each recomputed (one query; two for the offenders and
    # their checks) and stored (one). SQLite stores nothing (no triggers): each read computes them, as above.
    with django_assert_num_queries(24 if pg else 16):
        client.get("/reports/outcomes/", query)


def test_the_comments_shown_are_the_first_by_text_however_long(program):
    """Short comments are read in order from their index and long ones by time: together, the same comments as
    ordering every one of the period, whatever the number shown."""
    cases = build(program)
    texts = ["b", "Z" * 700, "A" + "b" * 700, "ña", "a" * 600, "a" * 601, "Too slow.", "", "a" * 599 + "é"]
    for index, (text, day) in enumerate([(text, 15) for text in texts] + [("Y" * 900, 1), ("a", 1)]):
        party = PartyFactory(case=cases["A"], role="victim")
        month = 2 if day == 15 else 4  # two after the period
        at = timezone.make_aware(datetime(2026, month, day, 12, index))
        invitation = SurveyInvitation.objects.create(case=cases["A"], party=party, occasion="closure", nonce="",
                                                     created_at=at, expires_at=at, used_at=at)  # fmt: skip
        SurveyResponse.objects.create(invitation=invitation, case=cases["A"], respondent_role="victim",
                                      occasion="closure", comment=text, submitted_at=at)  # fmt: skip
    every = direct_survey_comments(program, PERIOD, 200)
    assert len(every) == 10 and {"Z" * 700, "A" + "b" * 700, "a" * 601} < set(every)  # the two before, eight here
    for shown in range(1, 12):
        assert survey_comments(program, PERIOD, shown) == every[:shown]
