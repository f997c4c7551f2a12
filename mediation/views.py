from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cases.models import Case
from cases.policies import can, get_case_for_action, get_party_of_case, permissions_for
from cases.services import case_advance, case_assign, eligible_mediators
from vom.core.errors import DomainError
from vom.core.forms import add_domain_error

from . import services
from .forms import (
    AssignForm,
    CancelForm,
    ContactAttemptForm,
    HoldForm,
    InterpreterForm,
    MeetingForm,
    ModeForm,
    RescheduleForm,
    ScreeningForm,
    ShuttleForm,
    TimeLogForm,
    WaiveForm,
)
from .models import Meeting, Screening, ShuttleRound, TimeLog
from .selectors import (
    assignment_warnings,
    case_parties,
    interpreter_warnings,
    mediator_options,
    meeting_to_record,
    meetings_to_schedule,
    required_screening_parties,
)


@require_http_methods(["GET", "POST"])
@login_required
def assign(request, pk: int):
    case = get_case_for_action(request.user, pk, "assign")
    options = mediator_options(case)
    form = AssignForm(
        request.POST or None,
        mediators=eligible_mediators(case.program).order_by("last_name", "first_name"),
        initial={"version": case.version, "lead": case.lead_mediator_id, "co": case.co_mediator_id},
    )
    if request.method == "POST" and form.is_valid():
        chosen = {form.cleaned_data["lead"].pk} | ({form.cleaned_data["co"].pk} if form.cleaned_data["co"] else set())
        if assignment_warnings(options, chosen) and not form.cleaned_data["confirm_conflicts"]:
            form.add_error("confirm_conflicts", "Read the warnings above and confirm to assign anyway.")
        else:
            try:
                case_assign(
                    case=case,
                    expected_version=form.cleaned_data["version"],
                    actor=request.user,
                    lead=form.cleaned_data["lead"],
                    co=form.cleaned_data["co"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, "Mediators assigned.")
                return redirect("cases:detail", pk=case.pk)
    return render(request, "mediation/assign.html", {"case": case, "form": form, "options": options})


def _advance(request, case) -> None:
    """Take the stage moves the mediator's work just made due, and say so."""
    for move in case_advance(case=case, actor=request.user):
        messages.success(request, f"Moved to {Case.Stage(move.target).label.lower()} because {move.follows}.")


@require_http_methods(["GET", "POST"])
@login_required
def screening(request, pk: int, party_pk: int):
    case = get_case_for_action(request.user, pk, "work")
    party = get_party_of_case(case, party_pk)
    if party.pk not in {p.pk for p in required_screening_parties(case, case_parties(case))}:
        raise Http404("This party does not need a readiness screening.")
    form = ScreeningForm(request.POST or None, party=party, prefix="screening")
    if request.method == "POST" and form.is_valid():
        try:
            services.screening_record(
                party=party,
                actor=request.user,
                screened_on=form.cleaned_data["screened_on"],
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                victim_updates=form.cleaned_data.get("victim_updates"),
                **form.answers(),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Screening of {party.person} recorded.")
            _advance(request, case)
            return redirect("cases:detail", pk=case.pk)
    return _screening_page(request, case, party, form, ContactAttemptForm(prefix="contact"))


def _screening_page(request, case, party, form, contact_form):
    return render(
        request,
        "mediation/screening.html",
        {
            "case": case,
            "party": party,
            "form": form,
            "contact_form": contact_form,
            "attempts": party.contact_attempts.select_related("recorded_by"),
            "history": Screening.objects.filter(party=party).select_related("screened_by"),
            "show_contact": can(request.user, "view_victim_contact", case),
        },
    )


@require_POST
@login_required
def contact_add(request, pk: int, party_pk: int):
    case = get_case_for_action(request.user, pk, "work")
    party = get_party_of_case(case, party_pk)
    form = ContactAttemptForm(request.POST, prefix="contact")
    if form.is_valid():
        try:
            services.contact_attempt_record(party=party, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Contact attempt recorded.")
            return redirect("mediation:screening", pk=case.pk, party_pk=party.pk)
    return _screening_page(request, case, party, ScreeningForm(party=party, prefix="screening"), form)


@require_http_methods(["GET", "POST"])
@login_required
def meeting_new(request, pk: int):
    case = get_case_for_action(request.user, pk, "work")
    kind = request.GET.get("kind") or request.POST.get("kind")
    if kind not in Meeting.Kind.values:
        kind = Meeting.Kind.JOINT
    form = MeetingForm(request.POST or None, case=case, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_schedule(case=case, actor=request.user, kind=kind, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{meeting.get_kind_display()} scheduled.")
            _advance(request, case)
            return redirect("cases:detail", pk=case.pk)
    return render(
        request,
        "mediation/meeting_new.html",
        {"case": case, "form": form, "kind": kind, "kind_label": Meeting.Kind(kind).label},
    )


@require_http_methods(["GET", "POST"])
@login_required
def meeting_plan(request, pk: int):
    """Schedule the meetings the case still needs on one page, each filled in as a mediator usually would."""
    case = get_case_for_action(request.user, pk, "work")
    kinds = meetings_to_schedule(case, list(Meeting.objects.filter(case=case)))
    data = request.POST if request.method == "POST" else None
    forms = [(kind, MeetingForm(data, case=case, kind=kind, required=False, prefix=kind)) for kind in kinds]
    summary = django_forms.Form(data={})  # the refusal of the whole plan
    summary.is_valid()
    if data is not None and all(form.is_valid() for _, form in forms):
        chosen = [{"kind": kind, **form.cleaned_data} for kind, form in forms if form.cleaned_data["scheduled_for"]]
        try:
            meetings = services.meetings_plan(case=case, actor=request.user, meetings=chosen)
        except DomainError as error:
            add_domain_error(summary, error)
        else:
            names = ", ".join(m.get_kind_display().lower() for m in meetings)
            messages.success(request, f"Scheduled: {names}.")
            _advance(request, case)
            return _next_step(request, case)
    context = {"case": case, "summary": summary, "forms": [(Meeting.Kind(k).label, f) for k, f in forms]}
    return render(request, "mediation/meeting_plan.html", context)


def _next_step(request, case, offer_scheduling: bool = False):
    """After a meeting is scheduled or recorded: the next meeting to record if one has begun, else (when asked)
    the meetings still to schedule, else the case."""
    meeting = meeting_to_record(case)
    if meeting is not None:
        messages.info(request, f"Next: record the {meeting.get_kind_display().lower()}.")
        return redirect("mediation:meeting", pk=case.pk, meeting_pk=meeting.pk)
    case.refresh_from_db(fields=["stage", "mode", "version"])
    if offer_scheduling and meetings_to_schedule(case, list(Meeting.objects.filter(case=case))):
        return redirect("mediation:meeting_plan", pk=case.pk)
    return redirect("cases:detail", pk=case.pk)


def _meeting_for(request, pk, meeting_pk, action="work"):
    case = get_case_for_action(request.user, pk, action)
    meeting = get_object_or_404(Meeting.objects.select_related("case"), pk=meeting_pk, case=case)
    return case, meeting


def _meeting_page(request, case, meeting, **forms):
    attendees = list(meeting.attendees.select_related("person"))
    context = {
        "case": case,
        "meeting": meeting,
        "hold_form": HoldForm(meeting=meeting, initial={"version": meeting.version}),
        "cancel_form": CancelForm(initial={"version": meeting.version}),
        "reschedule_form": RescheduleForm(initial={"version": meeting.version, "scheduled_for": meeting.scheduled_for}),
        "interpreter_form": InterpreterForm(
            initial={
                "version": meeting.version,
                "interpreter": meeting.interpreter,
                "interpreter_language": meeting.interpreter_language,
            }
        ),
        "interpreter_warnings": interpreter_warnings(meeting, attendees),
        "attendees": attendees,
        "facilitators": meeting.mediators.all(),
        "show_contact": can(request.user, "view_victim_contact", case),
        "perms": permissions_for(request.user, case),
        **forms,
    }
    return render(request, "mediation/meeting_detail.html", context)


@require_http_methods(["GET"])
@login_required
def meeting_detail(request, pk: int, meeting_pk: int):
    case, meeting = _meeting_for(request, pk, meeting_pk, "view")
    return _meeting_page(request, case, meeting)


def _meeting_action(request, pk, meeting_pk, form_class, name, perform, success, then_next=False):
    case, meeting = _meeting_for(request, pk, meeting_pk)
    kwargs = {"meeting": meeting} if form_class is HoldForm else {}
    form = form_class(request.POST, **kwargs)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            perform(meeting=meeting, expected_version=version, actor=request.user, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, success)
            _advance(request, case)
            if then_next:  # right after recording one: the next meeting to record, or to schedule
                return _next_step(request, case, offer_scheduling=True)
            return redirect("cases:detail", pk=case.pk)
    return _meeting_page(request, case, meeting, **{name: form})


@require_POST
@login_required
def meeting_interpreter(request, pk: int, meeting_pk: int):
    return _meeting_action(request, pk, meeting_pk, InterpreterForm, "interpreter_form",
                           services.meeting_book_interpreter, "Interpreter recorded.")  # fmt: skip


@require_POST
@login_required
def meeting_hold(request, pk: int, meeting_pk: int):
    return _meeting_action(
        request, pk, meeting_pk, HoldForm, "hold_form", services.meeting_hold, "Meeting recorded.", then_next=True
    )


@require_POST
@login_required
def meeting_cancel(request, pk: int, meeting_pk: int):
    return _meeting_action(
        request,
        pk,
        meeting_pk,
        CancelForm,
        "cancel_form",
        services.meeting_cancel,
        "Meeting marked as not held.",
        then_next=True,
    )


@require_POST
@login_required
def meeting_reschedule(request, pk: int, meeting_pk: int):
    return _meeting_action(
        request, pk, meeting_pk, RescheduleForm, "reschedule_form", services.meeting_reschedule, "Meeting moved."
    )


@require_http_methods(["GET", "POST"])
@login_required
def prep_waive(request, pk: int):
    case = get_case_for_action(request.user, pk, "work")
    form = WaiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.prep_waive(case=case, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Preparation meeting waived.")
            _advance(request, case)
            return redirect("cases:detail", pk=case.pk)
    return render(request, "mediation/prep_waive.html", {"case": case, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def shuttle_new(request, pk: int):
    case = get_case_for_action(request.user, pk, "work")
    form = ShuttleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.shuttle_record(case=case, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Exchange recorded.")
            _advance(request, case)
            return redirect("cases:detail", pk=case.pk)
    rounds = ShuttleRound.objects.filter(case=case).select_related("recorded_by")
    return render(request, "mediation/shuttle_new.html", {"case": case, "form": form, "rounds": rounds})


@require_http_methods(["GET", "POST"])
@login_required
def mode(request, pk: int):
    case = get_case_for_action(request.user, pk, "work")
    form = ModeForm(request.POST or None, initial={"version": case.version, "mode": case.mode})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.case_set_mode(case=case, expected_version=data.pop("version"), actor=request.user, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Mediation mode changed.")
            return redirect("cases:detail", pk=case.pk)
    return render(request, "mediation/mode.html", {"case": case, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def time_log(request, pk: int):
    case = get_case_for_action(request.user, pk, "view")
    may_log = can(request.user, "log_time", case)
    form = TimeLogForm(request.POST or None)
    if request.method == "POST":
        if not may_log:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.timelog_add(case=case, mediator=request.user, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, "Time logged.")
                return redirect("mediation:time", pk=case.pk)
    logs = TimeLog.objects.filter(case=case).select_related("mediator")
    total = sum(log.minutes for log in logs)
    return render(
        request,
        "mediation/time_log.html",
        {"case": case, "form": form, "logs": logs, "total": total, "may_log": may_log},
    )
