from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.policies import programs_for
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.core.exports import csv_response

from . import documents, exports
from .dashboard import dashboard as build_dashboard
from .forms import PeriodForm
from .periods import Period, last_quarter, presets
from .report import outcome_report as build_report


def _period_form(request, default: Period) -> PeriodForm:
    programs = programs_for(request.user, "view_reports").order_by("name")
    how_many = programs.count()
    if not how_many:
        raise Http404("No program to report on.")
    form = PeriodForm(request.GET, programs=programs, default=default)
    form.many_programs = how_many > 1
    return form


def _context(form: PeriodForm, today) -> dict:
    program = form.cleaned_data.get("program") if form.is_valid() else None
    return {"form": form, "presets": presets(today), "program": program, "many_programs": form.many_programs}


@require_GET
@login_required
def dashboard(request):
    today = timezone.localdate()
    form = _period_form(request, presets(today)[0][1])
    context = _context(form, today)
    if form.is_valid():
        context["board"] = build_dashboard(form.cleaned_data["program"], form.period, timezone.now())
    return render(request, "reports/dashboard.html", context)


@require_GET
@login_required
def outcome_report(request):
    today = timezone.localdate()
    form = _period_form(request, last_quarter(today))
    context = _context(form, today)
    if form.is_valid():
        context["report"] = build_report(form.cleaned_data["program"], form.period, today)
        context["query"] = request.GET.urlencode() or form.query()
    return render(request, "reports/outcome_report.html", context)


def _download(request, kind: str):
    today = timezone.localdate()
    form = _period_form(request, last_quarter(today))
    if not form.is_valid():
        messages.error(request, "The report's period or program is not valid: nothing was downloaded.")
        return None, redirect(f"{reverse('reports:outcomes')}?{request.GET.urlencode()}")
    report = build_report(form.cleaned_data["program"], form.period, today)
    audit_record(
        request=request, action=AuditEvent.Action.EXPORT,
        what=f"outcome report {kind}: {report.program.name}, referred {report.period.start} to {report.period.end}",
    )  # fmt: skip
    name = f"outcome-report-{report.program.slug}-{report.period.start}-{report.period.end}.{kind}"
    return report, name


@require_GET
@login_required
def outcome_report_csv(request):
    report, name = _download(request, "csv")
    if report is None:
        return name
    return csv_response(name, exports.REPORT_CSV_HEADER, exports.outcome_report_rows(report))


@require_GET
@login_required
def outcome_report_pdf(request):
    report, name = _download(request, "pdf")
    if report is None:
        return name
    response = HttpResponse(documents.outcome_report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
