from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.core.errors import DomainError, StaleObjectError
from vom.core.exports import csv_response
from vom.core.forms import add_domain_error
from vom.core.once import not_saved, once_per_submission
from vom.core.phones import InvalidPhone, to_e164
from vom.notifications.sms import signature_valid

from . import services, texts
from .case_page import case_page_parts
from .extensions import move_handlers
from .forms import (
    AddPartyForm,
    CaseloadFilterForm,
    CloseForm,
    IntakeForms,
    NoteForm,
    OutcomeCheckForm,
    PartyContactForm,
    PartyForm,
    ReferralForm,
    ReopenForm,
    VersionForm,
)
from .models import Case, OutcomeCheck, Party
from .policies import (
    can,
    get_case_for_action,
    get_party_of_case,
    permissions_for,
    program_scope,
    programs_for,
)
from .rules import ADULT_AGE
from .selectors import (
    CASELOAD_EXPORT_HEADER,
    case_journal,
    case_text_figures,
    caseload_export_rows,
    caseload_filter_choices,
    caseload_page,
    caseload_rows,
    filtered_caseload,
    get_case_for_page,
    my_cases_rows,
    my_open_cases,
    user_roles,
)
from .stages import move_named

CASELOAD_PAGE_SIZE = 50


@require_GET
@login_required
def home(request):
    """Send each role to its own start page."""
    roles = user_roles(request.user)
    if roles.is_coordinator or request.user.is_superuser:
        return redirect("cases:list")
    if roles.is_mediator:
        return redirect("cases:my")
    return render(request, "cases/home_no_program.html", {"is_admin": roles.is_admin})


@require_GET
@login_required
def my_cases(request):
    """The mediator's home: their open cases, each with its next action, overdue first."""
    cases = my_open_cases(request.user)
    return render(request, "cases/my_cases.html", {"rows": my_cases_rows(cases, timezone.localdate())})


def _caseload_form(request) -> CaseloadFilterForm:
    return CaseloadFilterForm(request.GET or None, **caseload_filter_choices(request.user))


@require_GET
@login_required
def case_list(request):
    user = request.user
    roles = user_roles(user)
    form = _caseload_form(request)
    page = caseload_page(user, form, request.GET, path=request.path, per_page=CASELOAD_PAGE_SIZE)
    query = request.GET.copy()
    for name in ("page", "after", "before"):
        query.pop(name, None)
    title = "Caseload" if roles.is_coordinator or user.is_superuser else "All my cases"
    context = {"page": page, "rows": caseload_rows(page.object_list), "title": title, "form": form}
    context["query"], context["can_export"] = query.urlencode(), bool(program_scope(user, "export"))
    return render(request, "cases/case_list.html", context)


@require_GET
@login_required
def caseload_export(request):
    """The filtered caseload of the programs a coordinator runs, as CSV: no contact details of anyone."""
    exported = program_scope(request.user, "export")
    if not exported:
        raise Http404
    form = _caseload_form(request)
    if form.is_bound and not form.is_valid():
        messages.error(request, "The filters are not valid: nothing was exported.")
        return redirect(f"{reverse('cases:list')}?{request.GET.urlencode()}")
    cases = filtered_caseload(form, Case.objects.filter(program_id__in=exported), timezone.now())
    count = cases.count()
    audit_record(
        request=request, action=AuditEvent.Action.EXPORT,
        what=f"caseload CSV, {count} case{pluralize(count)}; filters: {request.GET.urlencode() or 'none'}",
    )  # fmt: skip
    stamp = timezone.localdate().isoformat()
    return csv_response(f"caseload-{stamp}.csv", CASELOAD_EXPORT_HEADER, caseload_export_rows(cases, timezone.now()))


@require_http_methods(["GET", "POST"])
@login_required
@once_per_submission
def intake(request):
    programs = programs_for(request.user, "intake")
    if not program_scope(request.user, "intake"):
        raise Http404  # a page outside the user's role: as the reports and the export, nothing is there
    forms = IntakeForms(request.POST or None, programs=programs)
    if request.method == "POST" and forms.is_valid():
        try:
            case = services.case_intake(
                program=forms.referral.chosen_program(),
                actor=request.user,
                referral=forms.referral.referral_values(),
                parties=forms.party_inputs(),
            )
        except DomainError as error:
            add_domain_error(forms.referral, error)
        else:
            messages.success(request, f"Case {case.number} created. Assign a mediator next.")
            assign = move_handlers()["assign"]  # straight on to the next step, on the page that performs it
            if can(request.user, assign.permission, case):
                return redirect(assign.page, pk=case.pk)
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_intake.html", {"adult_age": ADULT_AGE, **forms.context()})


@require_GET
@login_required
def case_detail(request, pk: int):
    user = request.user
    case = get_case_for_action(user, pk, "view", read=get_case_for_page)
    audit_record(request=request, action=AuditEvent.Action.VIEW, what="case page", case_id=case.pk)
    perms = permissions_for(user, case)
    context = {
        "case": case,
        "perms": perms,
        # the next action, the moves, the parties and the panels: kept per case revision where they can be
        "parts": case_page_parts.of(request, case, perms),
        "texts": case_text_figures(case),
        "outcome_checks": case.outcome_checks.select_related("party__person").order_by("party_id", "months")
        if case.stage == Case.Stage.CLOSED
        else [],
        # Coordinators also see who looked at and changed the case.
        **case_journal(case, access_log=perms["edit"]),
        "note_form": NoteForm(),
    }
    return render(request, "cases/case_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def case_edit(request, pk: int):
    case = get_case_for_action(request.user, pk, "edit")
    form = ReferralForm(
        request.POST or None, instance=case, programs=[case.program], prefix="case", initial={"version": case.version}
    )
    current = None
    if request.method == "POST" and form.is_valid():
        try:
            services.case_update(
                case=Case.objects.get(pk=case.pk),
                expected_version=form.cleaned_data.get("version") or 0,
                actor=request.user,
                changes=form.referral_values(),
                request=request,
            )
        except StaleObjectError as error:
            current = Case.objects.for_case_page().get(pk=case.pk)
            form.add_error(None, error.message)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Case details saved.")
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_edit.html", {"case": case, "form": form, "current": current})


@require_http_methods(["GET", "POST"])
@login_required
def party_add(request, pk: int):
    case = get_case_for_action(request.user, pk, "add_party")
    post = request.POST or None
    form = AddPartyForm(post, case=case, prefix="party", victim_side=True)
    guardian = PartyForm(post, prefix="guardian", optional=True)
    if request.method == "POST" and form.is_valid() and guardian.is_valid():
        role = form.cleaned_data["role"]
        try:
            if role in {Party.Role.OFFENDER, Party.Role.VICTIM}:
                services.party_add(
                    case=case,
                    actor=request.user,
                    party=form.to_input(role),
                    guardian=guardian.to_input(Party.Role.GUARDIAN) if guardian.is_filled() else None,
                )
            else:
                services.party_add_supporter(
                    case=case,
                    actor=request.user,
                    supporter=form.to_input(role),
                    for_party=form.cleaned_data["for_party"],
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Party added.")
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/party_add.html", {"case": case, "form": form, "guardian": guardian})


@require_http_methods(["GET", "POST"])
@login_required
def party_edit(request, pk: int, party_pk: int):
    case = get_case_for_action(request.user, pk, "edit_party")
    party = get_party_of_case(case, party_pk)
    form = PartyContactForm(
        request.POST or None, instance=Party.objects.get(pk=party.pk), initial={"version": party.version}
    )
    current = None
    if request.method == "POST" and form.is_valid():
        try:
            names = [*form.Meta.fields, "consents_to_texts"]
            contact = {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}
            edited = any(getattr(party, name) != value for name, value in contact.items())
            services.party_update_contact(
                party=party, expected_version=form.cleaned_data.get("version") or 0, actor=request.user,
                contact=contact, request=request,
            )  # fmt: skip
        except StaleObjectError as error:
            current = Party.objects.get(pk=party.pk)
            form.add_error(None, error.message)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if edited:
                messages.success(request, f"Details of {party.person} saved.")
            else:
                messages.info(request, f"Nothing was changed in the details of {party.person}.")
            return redirect("cases:detail", pk=case.pk)
    context = {"case": case, "party": party, "form": form, "current": current}
    return render(request, "cases/party_edit.html", context)


@require_POST
@login_required
@once_per_submission
def note_add(request, pk: int):
    case = get_case_for_action(request.user, pk, "note")
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(case=case, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            not_saved(request)
            messages.error(request, str(error))
        else:
            messages.success(request, "Note added.")
    else:
        not_saved(request)
        messages.error(request, "The note was not saved: " + " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("cases:detail", pk=case.pk)


@require_POST
@login_required
def case_move(request, pk: int, move: str):
    case = get_case_for_action(request.user, pk, "view")
    handler = move_handlers().get(move)
    if handler is None or not handler.on_case_page or move_named(move, case.stage) is None:
        messages.error(request, "That step is not available for this case now.")
        return redirect("cases:detail", pk=case.pk)
    if not can(request.user, handler.permission, case):
        raise PermissionDenied
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The page was out of date. Nothing was changed; try again.")
        return redirect("cases:detail", pk=case.pk)
    try:
        case = handler.perform(case=case, expected_version=form.cleaned_data["version"], actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Case {case.number} is now in {case.get_stage_display().lower()}.")
    return redirect("cases:detail", pk=case.pk)


def _version_action(request, pk, action, form_class, template, perform, success):
    case = get_case_for_action(request.user, pk, action)
    form = form_class(request.POST or None, initial={"version": case.version}, case=case)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            perform(case=case, expected_version=version, actor=request.user, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, success)
            return redirect("cases:detail", pk=case.pk)
    return render(request, template, {"case": case, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def case_close(request, pk: int):
    return _version_action(
        request,
        pk,
        "withdraw",
        CloseForm,
        "cases/case_close.html",
        services.case_close,
        "Case closed.",
    )


@require_http_methods(["GET", "POST"])
@login_required
def case_reopen(request, pk: int):
    return _version_action(
        request, pk, "reopen", ReopenForm, "cases/case_reopen.html", services.case_reopen, "Case reopened."
    )


@require_GET
@login_required
def outcome_checks(request):
    """Reoffending checks due in the coordinator's programs: overdue first, then the next 30 days."""
    programs = program_scope(request.user, "record_outcome_check")
    if not programs:
        raise Http404
    horizon = timezone.localdate() + timedelta(days=30)
    checks = (
        OutcomeCheck.objects.filter(case__program_id__in=programs, result="", due_on__lte=horizon)
        .select_related("case", "party__person")
        .order_by("due_on", "pk")
    )
    page = Paginator(checks, CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/outcome_checks.html", {"page": page, "today": timezone.localdate()})


@require_http_methods(["GET", "POST"])
@login_required
def outcome_check_record(request, pk: int, check_pk: int):
    case = get_case_for_action(request.user, pk, "record_outcome_check")
    check = get_object_or_404(OutcomeCheck.objects.select_related("party__person"), pk=check_pk, case=case)
    form = OutcomeCheckForm(request.POST or None, initial={"checked_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.outcome_check_record(check=check, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{check.months}-month check recorded.")
            return redirect("cases:outcome_checks")
    return render(request, "cases/outcome_check_form.html", {"case": case, "check": check, "form": form})


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@csrf_exempt  # the provider cannot hold a CSRF token: its signature is checked instead
@require_POST
def text_inbound(request):
    """Replies to the program's texts, posted by the SMS provider; anything it did not sign is refused."""
    url = settings.SITE_URL.rstrip("/") + request.path
    if not signature_valid(url, request.POST.dict(), request.headers.get("X-Twilio-Signature", "")):
        audit_record(request=request, action=AuditEvent.Action.REFUSED, what="text webhook: not signed by provider")
        return HttpResponseForbidden("Refused: not signed by the SMS provider.", content_type="text/plain")
    try:
        number = to_e164(request.POST.get("From", ""))
    except InvalidPhone:
        number = ""
    if number:
        texts.text_received(number=number, words=request.POST.get("Body", ""), message_id=request.POST["MessageSid"])
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
