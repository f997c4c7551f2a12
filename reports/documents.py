"""The outcome report as a PDF a program can hand to a funder or a court."""

from django.template.loader import render_to_string
from django.utils import timezone

from agreements.documents import STATIC_PREFIX, html_to_pdf

from .report import OutcomeReport


def outcome_report_html(report: OutcomeReport) -> str:
    context = {"report": report, "printed_on": timezone.localdate(), "static_prefix": STATIC_PREFIX}
    return render_to_string("reports/pdf/outcome_report.html", context)


def outcome_report_pdf(report: OutcomeReport) -> bytes:
    return html_to_pdf(outcome_report_html(report), paper_size=report.program.paper_size)
