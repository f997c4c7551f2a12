from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.forms import VersionForm
from cases.models import Case
from cases.policies import get_case_for_action, get_party_of_case, permissions_for
from mediation.retention import minimise_refusals, party_minimise_data
from mediation.services import contact_attempt_record
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record, client_ip
from vom.core.errors import DomainError
from vom.core.forms import add_domain_error
from vom.core.once import once_per_submission
from vom.core.uploads import digest_uploads, upload_too_large
from vom.users.selectors import authenticator_for

from . import follow_up, services
from .compliance import LABELS
from .documents import agreement_context, agreement_pdf, money
from .forms import (
    AmendForm,
    ConsentForm,
    DisbursementForm,
    FollowUpContactForm,
    MinimiseForm,
    PaymentForm,
    PublicVerifyForm,
    ReturnForm,
    ServiceLogForm,
    SignatureForm,
    TermCheckForm,
    TermForm,
    VerifyForm,
    custom_rows,
    installment_rows,
)
from .ledger import case_ledger
from .models import Agreement, AgreementDefault, Letter, Term
from .selectors import agreement_languages, follow_up_contacts, signer_statuses
from .verification import MAX_COPY_BYTES, copy_is_identical, lookups_left_wait, verification_lookup, verify_url
from .victim_updates import party_for_token, victim_updates_stop

FOLLOW_UP_PAGE_SIZE = 50


def has_authenticator(user) -> bool:
    return authenticator_for(user) is not None


def _agreement_for(request, pk: int, agreement_pk: int, action: str):
    case = get_case_for_action(request.user, pk, action)
    agreement = get_object_or_404(
        Agreement.objects.select_related("case__program", "amends"), pk=agreement_pk, case=case
    )
    return case, agreement


def _page(request, case, agreement, **extra):
    context = agreement_context(agreement, draft=agreement.status != Agreement.Status.SIGNED)
    context |= {
        "case": case,
        "perms": permissions_for(request.user, case),
        "version_form": VersionForm(initial={"version": agreement.version}),
        "amend_form": AmendForm(),
        "verify_form": VerifyForm(),
        "versions": Agreement.objects.filter(case=case).order_by("-number"),
        "signed_any": any(status.signature for status in context["statuses"]),
        "warnings": services.term_warnings(case, context["terms"]) + services.draft_language_warnings(agreement)
        if agreement.status == Agreement.Status.DRAFT
        else [],
        **extra,
    }
    return render(request, "agreements/agreement_detail.html", context)


@require_POST
@login_required
def agreement_new(request, pk: int):
    case = get_case_for_action(request.user, pk, "work")
    try:
        agreement = services.agreement_create(case=case, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("cases:detail", pk=case.pk)
    messages.success(request, "Agreement drafted. Add its terms.")
    return redirect("agreements:detail", pk=case.pk, agreement_pk=agreement.pk)


@require_GET
@login_required
def agreement_detail(request, pk: int, agreement_pk: int):
    case, agreement = _agreement_for(request, pk, agreement_pk, "view")
    return _page(request, case, agreement)


def _schedule_rows(data, term, *, more: bool):
    """A custom money schedule's rows: as posted (three more on "Add rows"), else as the term has them."""
    if data is not None:
        return installment_rows(data, more=3 if more else 0)
    plan = [(i.due_date, i.amount) for i in term.installments.all()] if term and term.schedule == "custom" else []
    return installment_rows(rows=plan)


def _term_form_page(request, case, agreement, term=None):
    """Add a term to a draft, or change one (its kind stays); a custom money schedule is edited row by row."""
    data = request.POST if request.method == "POST" else None
    initial = TermForm.initial_for(term, agreement.version) if term else {"version": agreement.version}
    options = {"case": case, "fixed_kind": term.kind if term else "", "languages": agreement_languages(case)}
    form = TermForm(data, initial=initial, **options)
    more = data is not None and "more_rows" in data
    if more:  # "Add rows" without JavaScript: the same form again, not yet checked
        form = TermForm(initial=initial | data.dict(), **options)
    rows = _schedule_rows(data, term, more=more)
    if data is not None and not more and form.is_valid() and (not rows.is_bound or rows.is_valid()):
        values = dict(form.cleaned_data)
        version, kind = values.pop("version"), values.pop("kind", None)
        values["installments"] = custom_rows(rows)
        try:
            if term:
                saved = services.term_update(term=term, expected_version=version, actor=request.user, **values)
            else:
                saved = services.term_add(agreement=agreement, expected_version=version, actor=request.user,
                                          kind=kind, **values)  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Term changed." if term else "Term added.")
            for warning in services.term_warnings(case, [saved]):
                messages.warning(request, warning)
            return redirect("agreements:detail", pk=case.pk, agreement_pk=agreement.pk)
    context = {"case": case, "agreement": agreement, "form": form, "rows": rows, "term": term}
    return render(request, "agreements/term_form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def term_new(request, pk: int, agreement_pk: int):
    case, agreement = _agreement_for(request, pk, agreement_pk, "work")
    return _term_form_page(request, case, agreement)


@require_http_methods(["GET", "POST"])
@login_required
def term_edit(request, pk: int, agreement_pk: int, term_pk: int):
    case, agreement = _agreement_for(request, pk, agreement_pk, "work")
    term = get_object_or_404(Term.objects.prefetch_related("installments"), pk=term_pk, agreement=agreement)
    return _term_form_page(request, case, agreement, term)


@require_POST
@login_required
def term_remove(request, pk: int, agreement_pk: int, term_pk: int):
    case, agreement = _agreement_for(request, pk, agreement_pk, "work")
    term = get_object_or_404(Term, pk=term_pk, agreement=agreement)
    form = VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("The page was out of date; nothing was removed.")
        services.term_remove(term=term, expected_version=form.cleaned_data["version"], actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Term removed.")
    return redirect("agreements:detail", pk=case.pk, agreement_pk=agreement.pk)


def _version_step(request, pk, agreement_pk, perform, success):
    case, agreement = _agreement_for(request, pk, agreement_pk, "work")
    form = VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("The page was out of date; nothing was changed.")
        perform(agreement=agreement, expected_version=form.cleaned_data["version"], actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("agreements:detail", pk=case.pk, agreement_pk=agreement.pk)


@require_POST
@login_required
def agreement_send(request, pk: int, agreement_pk: int):
    return _version_step(request, pk, agreement_pk, services.agreement_send_for_signatures, "Ready for signatures.")


@require_POST
@login_required
def agreement_redraft(request, pk: int, agreement_pk: int):
    return _version_step(request, pk, agreement_pk, services.agreement_back_to_draft, "Back to draft.")


@require_GET
@login_required
def agreement_preview_pdf(request, pk: int, agreement_pk: int):
    _case, agreement = _agreement_for(request, pk, agreement_pk, "view")
    if agreement.status == Agreement.Status.SIGNED or agreement.status == Agreement.Status.SUPERSEDED:
        return redirect("agreements:pdf", pk=pk, agreement_pk=agreement_pk)
    audit_record(request=request, action=AuditEvent.Action.DOWNLOAD, what=f"agreement {agreement.pk} draft PDF",
                 case_id=agreement.case_id)  # fmt: skip
    response = HttpResponse(agreement_pdf(agreement, draft=True), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{agreement.case.number}-v{agreement.number}-draft.pdf"'
    return response


@require_GET
@login_required
def agreement_signed_pdf(request, pk: int, agreement_pk: int):
    """The stored signed PDF, exactly as locked; never rendered again."""
    _case, agreement = _agreement_for(request, pk, agreement_pk, "view")
    if not agreement.pdf:
        raise Http404("This version has no signed PDF.")
    audit_record(request=request, action=AuditEvent.Action.DOWNLOAD, what=f"agreement {agreement.pk} signed PDF",
                 case_id=agreement.case_id)  # fmt: skip
    filename = f"{agreement.case.number}-agreement-v{agreement.number}.pdf"
    return FileResponse(agreement.pdf.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf")


def _signature_form(request, signer) -> SignatureForm:
    """A mediator signing as themselves confirms it is them; a party signing through an interpreter has the
    interpreter attest."""
    own = signer.mediator is not None
    party = signer.party
    return SignatureForm(
        request.POST or None,
        request.FILES or None,
        own_signature=own,
        uses_code=own and has_authenticator(request.user),
        interpreter=party.get_preferred_language_display() if party and party.needs_interpreter else "",
    )


@require_http_methods(["GET", "POST"])
@login_required
def sign(request, pk: int, agreement_pk: int, signer_key: str):
    case, agreement = _agreement_for(request, pk, agreement_pk, "work")
    status = next((s for s in signer_statuses(agreement) if s.signer.key == signer_key), None)
    if status is None:
        raise Http404("Not a signer of this agreement.")
    # Another mediator's signature: refused and recorded before any form is shown or read.
    if refusal := services.signature_refusal(actor=request.user, signer=status.signer):
        services.signature_refuse(request=request, actor=request.user, agreement=agreement, signer=status.signer,
                                  why=refusal, record=services.NOT_THEIR_SIGNATURE)  # fmt: skip
        context = {"case": case, "agreement": agreement, "status": status, "refusal": refusal}
        return render(request, "agreements/sign_refused.html", context, status=403)
    form = _signature_form(request, status.signer)
    if request.method == "POST" and form.is_valid():
        try:
            services.signature_add(agreement=agreement, signer_key=signer_key, actor=request.user, request=request,
                                   ip_address=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""),
                                   **form.signature_values())  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if form.cleaned_data["scan"]:
                audit_record(request=request, action=AuditEvent.Action.UPLOAD, case_id=case.pk,
                             what=f"agreement {agreement.pk} wet-signed scan for {status.signer.name}")  # fmt: skip
            agreement.refresh_from_db()
            everyone = agreement.status == Agreement.Status.SIGNED
            messages.success(request, "Everyone has signed. The agreement is locked and its PDF is stored."
                             if everyone else f"{status.signer.name} has signed.")  # fmt: skip
            return redirect("agreements:detail", pk=case.pk, agreement_pk=agreement.pk)
    context = agreement_context(agreement, draft=True) | {"status": status, "form": form}
    return render(request, "agreements/sign.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def amend(request, pk: int, agreement_pk: int):
    case, agreement = _agreement_for(request, pk, agreement_pk, "work")
    form = AmendForm(request.POST or None, languages=agreement_languages(case))
    if request.method == "POST" and form.is_valid():
        try:
            new = services.agreement_amend(agreement=agreement, actor=request.user, reason=form.cleaned_data["reason"],
                                           reason_translations=form.reason_translations())  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Version {new.number} drafted from version {agreement.number}.")
            return redirect("agreements:detail", pk=case.pk, agreement_pk=new.pk)
    return render(request, "agreements/amend.html", {"case": case, "agreement": agreement, "form": form})


def _copy_problem(request, form) -> str | None:
    """Why an uploaded copy cannot be compared (too large, not a PDF), or None."""
    upload = form.cleaned_data.get("copy") if form.is_valid() else None
    if upload_too_large(request):
        return f"That file is larger than {MAX_COPY_BYTES // 1_048_576} MB, far larger than any signed agreement."
    if upload is not None and not upload.head.startswith(b"%PDF-"):
        return "That file is not a PDF. Upload the PDF of the signed agreement."
    return None


@require_POST
@login_required
@digest_uploads(MAX_COPY_BYTES)
def verify_copy(request, pk: int, agreement_pk: int):
    """Compare a copy with this version's stored PDF; the copy is hashed as it streams in, never kept."""
    case, agreement = _agreement_for(request, pk, agreement_pk, "view")
    form = VerifyForm(request.POST, request.FILES)
    result = None
    problem = _copy_problem(request, form)
    if problem:
        form.add_error("copy" if "copy" not in form.errors else None, problem)
    elif form.is_valid():
        if not agreement.pdf_sha256:
            form.add_error(None, "This version has no signed PDF to compare with.")
        else:
            result = copy_is_identical(agreement, form.cleaned_data["copy"].sha256)
    return _page(request, case, agreement, verify_form=form, verify_result=result)


@require_http_methods(["GET", "POST"])
@digest_uploads(MAX_COPY_BYTES)
def verify(request):
    """The public verification page: no account; a code (from the printed PDF or its QR code) and optionally
    a copy to compare. Rate-limited per client address; every lookup audited."""
    data = request.POST if request.method == "POST" else (request.GET if "code" in request.GET else None)
    form = PublicVerifyForm(data, request.FILES or None)
    context = {"form": form, "result": None, "verify_url": verify_url()}
    status = 200
    if data is not None:
        wait = lookups_left_wait(request)
        problem = _copy_problem(request, form) if request.method == "POST" else None
        if wait:
            status = 429
            context["wait_minutes"] = max(1, -(-wait // 60))
        elif problem:
            form.add_error("copy" if "copy" not in form.errors else None, problem)
        elif form.is_valid():
            upload = form.cleaned_data.get("copy")
            result = verification_lookup(
                request=request, code=form.cleaned_data["code"], copy_sha256=upload.sha256 if upload else None
            )
            context["result"] = result
            context["may_open"] = (
                result.genuine and Case.objects.visible_to(request.user).filter(pk=result.case_id).exists()
            )
    response = render(request, "agreements/verify.html", context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    if status == 429:
        response["Retry-After"] = str(context["wait_minutes"] * 60)
    return response


FOLLOW_UP_FORMS = {
    "payment": (PaymentForm, follow_up.payment_record, "Payment recorded."),
    "disbursement": (DisbursementForm, follow_up.disbursement_record, "Money forwarded to the victim recorded."),
    "hours": (ServiceLogForm, follow_up.service_log_record, "Service hours logged."),
    "check": (TermCheckForm, follow_up.term_check_record, "Progress on the term recorded."),
}
FOLLOW_UP_TITLES = {
    "payment": ("Record a payment received", "Save payment"),
    "disbursement": ("Forward money to the victim", "Save forwarding"),
    "hours": ("Log service hours", "Save hours"),
    "check": ("Record progress on a term", "Save progress"),
}


def _record_forms(case, agreement, ledger, data=None, only: str = "") -> dict:
    """The follow-up forms that apply now: payments, hours and checks on the followed offenders' terms of
    the signed version while the case is in follow-up; forwarding of money held, in follow-up and after."""
    followed = Term.objects.none()
    if agreement.status == Agreement.Status.SIGNED and case.stage == Case.Stage.FOLLOW_UP:
        returned = [o.party.pk for o in ledger.offenders if o.returned]
        followed = agreement.terms.exclude(responsible__in=returned)
    held = Term.objects.filter(pk__in=[c.latest.pk for c in ledger.money_chains if c.held > 0])
    forms = {}
    for name, (form_class, _perform, _success) in FOLLOW_UP_FORMS.items():
        if only and name != only:
            continue
        terms = held if name == "disbursement" else followed
        if case.stage not in {Case.Stage.FOLLOW_UP, Case.Stage.CLOSED}:
            terms = Term.objects.none()
        form = form_class(data, agreement=agreement, terms=terms, prefix=name)
        if form.fields["term"].queryset.exists():
            forms[name] = form
    return forms


def missed_items(ledger, today) -> list[str]:
    """What each followed offender has missed, as people name it (the contact form's choices)."""
    currency = ledger.currency
    items = []
    for part in ledger.offenders:
        if part.returned:
            continue
        for state in part.states:
            for installment in state.installments:
                if installment.open > 0 and installment.due_date < today:
                    items.append(f"Installment {installment.number} of {money(installment.amount, currency)} due "
                                 f"{installment.due_date:%b %-d, %Y} ({part.name})")  # fmt: skip
            if state.term.kind != Term.Kind.MONEY and state.status in {"overdue", "defaulted"}:
                items.append(f"{state.term.get_kind_display()} due {state.term.due_date:%b %-d, %Y} ({part.name})")
    return items


def _status_as_it_stood(ledger, agreement) -> str:
    if agreement.pk == getattr(ledger.current, "pk", None):
        return ledger.status  # read already
    status, _states = follow_up.compliance(agreement)  # an earlier version, as it stood
    return status


def _follow_up_page(request, case, agreement, bound=None, contact_form=None):
    ledger = case_ledger(case)
    today = timezone.localdate()
    forms = _record_forms(case, agreement, ledger)
    forms |= bound or {}
    missed = missed_items(ledger, today)
    if contact_form is None and case.stage == Case.Stage.FOLLOW_UP:
        contact_form = FollowUpContactForm(case=case, missed=missed, prefix="contact")
    first_signed = next((v.agreement for v in ledger.versions if v.agreement.signed_at), agreement)
    status = _status_as_it_stood(ledger, agreement)
    return render(
        request,
        "agreements/follow_up.html",
        {
            "case": case,
            "agreement": agreement,
            "status": status,
            "status_label": LABELS[status],
            "ledger": ledger,
            "forms": {name: (form, *FOLLOW_UP_TITLES[name]) for name, form in forms.items()},
            "contact_form": contact_form,
            "contacts": follow_up_contacts(case, since=first_signed.signed_at),  # from the day it was signed
            "defaults": AgreementDefault.objects.filter(agreement__case=case).select_related("party__person"),
            "consent_form": ConsentForm(prefix="consent"),
            "letters": Letter.objects.filter(case=case),
            "perms": permissions_for(request.user, case),
            "currency": case.program.currency,
            "today": today,
        },
    )


@require_GET
@login_required
def follow_up_page(request, pk: int, agreement_pk: int):
    case, agreement = _agreement_for(request, pk, agreement_pk, "view")
    audit_record(request=request, action=AuditEvent.Action.VIEW, what=f"follow-up of agreement {agreement.pk}",
                 case_id=case.pk)  # fmt: skip
    return _follow_up_page(request, case, agreement)


@require_POST
@login_required
@once_per_submission
def follow_up_record(request, pk: int, agreement_pk: int, record: str):
    case, agreement = _agreement_for(request, pk, agreement_pk, "work")
    if record not in FOLLOW_UP_FORMS:
        raise Http404("No such record.")
    _form_class, perform, success = FOLLOW_UP_FORMS[record]
    form = _record_forms(case, agreement, case_ledger(case), request.POST, only=record).get(record)
    if form is None:
        messages.error(request, "Nothing can be recorded there now.")
        return redirect("agreements:follow_up", pk=case.pk, agreement_pk=agreement.pk)
    if form.is_valid():
        try:
            perform(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, success)
            was_open = case.stage != Case.Stage.CLOSED
            case.refresh_from_db()
            if was_open and case.stage == Case.Stage.CLOSED:
                messages.success(request, f"The case is closed: {case.get_outcome_display().lower()}. The letter to "
                                          "the referral source is written.")  # fmt: skip
                return redirect("cases:detail", pk=case.pk)
            return redirect("agreements:follow_up", pk=case.pk, agreement_pk=agreement.pk)
    return _follow_up_page(request, case, agreement, {record: form})


@require_POST
@login_required
def follow_up_contact(request, pk: int, agreement_pk: int):
    case, agreement = _agreement_for(request, pk, agreement_pk, "work")
    form = FollowUpContactForm(request.POST, case=case, missed=missed_items(case_ledger(case), timezone.localdate()),
                               prefix="contact")  # fmt: skip
    if form.is_valid():
        try:
            contact_attempt_record(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Contact attempt recorded.")
            return redirect("agreements:follow_up", pk=case.pk, agreement_pk=agreement.pk)
    return _follow_up_page(request, case, agreement, contact_form=form)


@require_POST
@login_required
def sharing_consent(request, pk: int, agreement_pk: int):
    case, agreement = _agreement_for(request, pk, agreement_pk, "work")
    form = ConsentForm(request.POST, prefix="consent")
    try:
        if not form.is_valid():
            raise DomainError("Give the date the consent was recorded.")
        follow_up.agreement_record_sharing_consent(agreement=agreement, actor=request.user, on=form.cleaned_data["on"])
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Consent to share the terms recorded.")
    return redirect("agreements:follow_up", pk=case.pk, agreement_pk=agreement.pk)


@require_http_methods(["GET", "POST"])
@login_required
def return_to_source(request, pk: int):
    case = get_case_for_action(request.user, pk, "return_to_source")
    behind = follow_up.offenders_behind(case) if case.stage == Case.Stage.FOLLOW_UP else []
    form = ReturnForm(request.POST or None, offenders=behind, initial={"version": case.version})
    if request.method == "POST" and form.is_valid():
        try:
            case = follow_up.case_return_to_source(
                case=case, expected_version=form.cleaned_data["version"], actor=request.user,
                reason=form.cleaned_data["reason"], parties=list(form.cleaned_data["parties"]),
            )  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if case.stage == Case.Stage.CLOSED:
                messages.success(request, f"Closed: {case.get_outcome_display().lower()}. The letter is written.")
            else:
                messages.success(request, "Returned to the referral source; the letter is written. The other "
                                          "offenders' parts go on being followed.")  # fmt: skip
            return redirect("cases:detail", pk=case.pk)
    return render(request, "agreements/return.html", {"case": case, "form": form, "behind": behind})


@require_http_methods(["GET", "POST"])
@login_required
def progress_report(request, pk: int):
    """An interim progress report for the referral source (the court-date notice links here)."""
    case = get_case_for_action(request.user, pk, "report_progress")
    if request.method == "POST":
        try:
            letter = follow_up.progress_report_issue(case=case, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Progress report written: download it below and send it to the referral source.")
            return redirect(f"{reverse('cases:detail', args=[case.pk])}#letter-{letter.pk}")
    ledger = case_ledger(case) if case.stage == Case.Stage.FOLLOW_UP else None
    return render(request, "agreements/progress_report.html", {"case": case, "ledger": ledger})


@require_GET
@login_required
def letter_pdf(request, pk: int, letter_pk: int):
    case = get_case_for_action(request.user, pk, "view")
    letter = get_object_or_404(Letter, pk=letter_pk, case=case)
    audit_record(request=request, action=AuditEvent.Action.DOWNLOAD, what=f"letter {letter.pk}", case_id=case.pk)
    filename = f"{case.number}-{letter.kind}.pdf"
    return FileResponse(letter.pdf.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf")


@require_GET
@login_required
def follow_up_list(request):
    """Every case in follow-up the user may see, with how its agreement is being kept, worst first.

    50 a page, as the caseload: a large program follows thousands of agreements."""
    # The dashboard's "agreements behind" figure opens this list narrowed to its program and to those
    # agreements, with the same count; a program the user cannot see narrows it to nothing.
    program = request.GET.get("program", "")
    visible = Case.objects.visibility(request.user)  # the summaries copy what it filters on: no join to the cases
    summaries = follow_up.followed_summaries(visible, program=int(program) if program.isdigit() else None)
    only_behind = request.GET.get("behind") == "1"
    if only_behind:
        summaries = follow_up.behind(summaries, timezone.localdate())
    paginator = Paginator(follow_up.follow_up_list_values(summaries), FOLLOW_UP_PAGE_SIZE)
    paginator.count = summaries.count()  # counted without the joins the rows' names need
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)  # the pages keep the filters
    context = {"page": page, "rows": follow_up.follow_up_list_rows(page.object_list), "only_behind": only_behind}
    return render(request, "agreements/follow_up_list.html", {**context, "query": query.urlencode()})


def _stop_page(request, token: str):
    party = party_for_token(token)
    if party is None:
        raise Http404("This link is not valid.")
    context = {"program": party.case.program, "contact": party.case.program.phone or party.case.program.email}
    with translation.override(party.document_language):  # the page in the victim's language, as the emails
        if request.method == "POST":
            victim_updates_stop(party=party, request=request)
            return render(request, "agreements/updates_stopped.html", context)
        return render(request, "agreements/updates_stop.html", context | {"on": party.victim_updates})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def updates_stop(request, token: str):
    """Stop a victim's progress updates, from the signed link in each one (no sign-in).

    The page asks first: mail scanners open links, and a GET must not stop what the victim chose. A mail
    client's one-click unsubscribe (RFC 8058) POSTs ``List-Unsubscribe=One-Click`` without a form token;
    the signed link is what authorises it. Any other POST is the page's own form and needs its CSRF token.
    """
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        return _stop_page(request, token)
    return csrf_protect(_stop_page)(request, token)


@require_http_methods(["GET", "POST"])
@login_required
def party_minimise(request, pk: int, party_pk: int):
    """A coordinator removes the personal data of a party who declined or was found unsuitable."""
    case = get_case_for_action(request.user, pk, "minimise_party")
    party = get_party_of_case(case, party_pk)
    form = MinimiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            party_minimise_data(party=party, actor=request.user, reason=form.cleaned_data["reason"], request=request)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Their personal data is removed; age band, gender and ethnicity are kept.")
            return redirect("cases:detail", pk=case.pk)
    reasons = minimise_refusals(party)
    return render(request, "agreements/party_minimise.html", {"case": case, "party": party, "form": form,
                                                               "refusals": reasons})  # fmt: skip
