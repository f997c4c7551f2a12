"""Small numbers never identify anyone: every figure about fewer than the threshold is hidden, and what would
give it back is hidden too, on the page, in the CSV and the PDF, and on the dashboard."""

import csv
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from reports.dashboard import dashboard
from reports.report import Cell, Row, Section, outcome_report
from reports.suppression import AddsUp, Rules, suppress
from tests.reports.dataset import PERIOD, TODAY, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny(program):
    """Six referrals in the period: a program too small for most figures (the default threshold, 5)."""
    build(program, threshold=5)
    return program


def cells(report):
    for section in report.sections:
        for row in section.rows:
            for column, cell in zip(section.columns, row.cells, strict=True):
                yield section, row, column, cell


def test_every_figure_of_a_tiny_program_is_about_five_people_or_hidden(tiny):
    report = outcome_report(tiny, PERIOD, TODAY)
    hidden = 0
    for section, row, column, cell in cells(report):
        where = f"{section.title} / {row.label} / {column}: {cell.text}"
        if cell.value is not None:  # a figure, not a dash: it must say whom it is about
            assert cell.people is not None, f"a figure without its population: {where}"
        if cell.hidden:
            hidden += 1
            assert (cell.value, cell.of, cell.text, cell.url) == (None, None, "fewer than 5", ""), where
        else:
            assert not cell.people or cell.people >= 5, f"a small figure is shown: {where}"
    assert hidden > 50
    # Six referrals may be shown; three of them from the court ('From County Court') may not.
    referrals = {row.label: row.cells for row in report.sections[0].rows}
    assert referrals["Referrals received"][0].text == "6"
    assert referrals["From County Court"][0].hidden
    # Four answered the survey: fewer than five, so their words are not shown at all.
    assert report.comments == []


def test_what_would_give_a_hidden_figure_back_is_hidden_too(tiny):
    report = outcome_report(tiny, PERIOD, TODAY)
    for section, row, _column, _cell in cells(report):
        if section.key != "reoffending" and not row.cells[0].hidden:
            # all = juveniles + adults: one part shown beside a hidden one would give it back
            assert [c.hidden for c in row.cells[1:]].count(True) != 1, f"{section.title} / {row.label}"
    sources = [r for r in report.sections[0].rows if r.label.startswith("From ")]
    for column in range(3):
        assert [r.cells[column].hidden for r in sources].count(True) != 1


def test_complementary_suppression_across_rows_and_down_columns():
    def cell(n):
        return Cell(n, None, str(n), people=n)

    section = Section("s", "S", ["All", "Juveniles", "Adults"], [
        Row("Total", [cell(12), cell(3), cell(9)]),
        Row("From A", [cell(6), cell(0), cell(6)]),
        Row("From B", [cell(4), cell(3), cell(1)]),
        Row("From C", [cell(2), cell(0), cell(2)]),
    ])  # fmt: skip
    suppress(section, 5, Rules(split_columns=True, groups=[AddsUp(["From A", "From B", "From C"], "Total")]))
    shown = {row.label: [c.text for c in row.cells] for row in section.rows}
    hide = "fewer than 5"
    assert shown["Total"] == ["12", hide, hide]  # 3 juveniles hidden, so the adults' 9 too
    assert shown["From B"] == [hide, hide, hide]
    assert shown["From C"] == [hide, "0", hide]
    # Down each column two or more are hidden, or the total is: nothing more to hide.
    assert shown["From A"] == ["6", "0", "6"]
    section = Section("s", "S", ["All"], [Row("Total", [cell(9)]), Row("A", [cell(6)]), Row("B", [cell(3)]),
                                          Row("C", [cell(0)])])  # fmt: skip
    suppress(section, 5, Rules(groups=[AddsUp(["A", "B", "C"], "Total")]))
    assert [row.cells[0].text for row in section.rows] == ["9", hide, hide, "0"]  # 9 - 6 would give B back


def test_the_csv_and_the_pdf_carry_no_hidden_figure(tiny, client, coordinator):
    client.force_login(coordinator)
    query = {"program": tiny.pk, "start": PERIOD.start.isoformat(), "end": PERIOD.end.isoformat()}
    body = b"".join(client.get("/reports/outcomes.csv", query).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    court = next(r for r in rows if r[1] == "From County Court" and r[2] == "All cases")
    assert court[3:6] == ["", "", "fewer than 5"]
    assert not [r for r in rows if r[0] == "Comments"]
    pdf = client.get("/reports/outcomes.pdf", query).content
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "fewer than 5" in text and "$1,000.00" not in text and "What participants wrote" not in text


def test_the_dashboard_hides_small_numbers_but_not_the_work_lists(tiny, client, coordinator):
    board = dashboard(tiny, PERIOD, timezone.now())
    funnel = {bar.label: bar for bar in board.funnel.bars}
    assert funnel["Referred"].text == "6" and board.referred == 6
    assert funnel["Completed"].text == "fewer than 5" and funnel["Completed"].width == 0
    assert all(cell.hidden for row in board.restitution.rows for cell in row.cells)
    assert all(f.value is not None for f in board.overdue)  # what is overdue is the coordinator's to-do list
    client.force_login(coordinator)
    page = client.get("/dashboard/", {"start": PERIOD.start, "end": PERIOD.end}).content.decode()
    assert "fewer than 5" in page and "$1,000.00" not in page


def test_a_program_with_enough_people_shows_its_figures(program):
    build(program, threshold=2)
    report = outcome_report(program, PERIOD, TODAY)
    referrals = {row.label: row.cells for row in report.sections[0].rows}
    assert referrals["From County Court"][0].text.startswith("4")  # four court referrals of six
