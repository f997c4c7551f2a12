"""The outcome report as CSV: one line per figure (section, measure, group, value, share), which
spreadsheets pivot easily. Comments are their words alone: no side, occasion, date, name or case number."""

from decimal import Decimal

REPORT_CSV_HEADER = ["Section", "Measure", "Group", "Value", "Share (%)", "As shown"]


def outcome_report_rows(report):
    yield ["Report", "Program", "", report.program.name, "", ""]
    yield ["Report", "Cases referred from", "", report.period.start.isoformat(), "", ""]
    yield ["Report", "Cases referred to", "", report.period.end.isoformat(), "", ""]
    if report.is_empty:
        yield ["Report", "No cases were referred in this period", "", 0, "", ""]
    for section in report.sections:
        if section.note:  # what the figures mean (for reoffending, that the groups select themselves)
            yield [section.title, "Note", "", section.note, "", ""]
        for row in section.rows:
            for column, cell in zip(section.columns, row.cells, strict=True):
                share = "" if cell.share is None else f"{100 * cell.share:.1f}"
                yield [section.title, row.label, column, _number(cell.value), share, cell.text]
    for comment in report.comments:
        yield ["Comments", "", "", comment["text"], "", ""]


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"  # the same on every database
    return str(value)
