"""A victim's address, phone and email appear in no document, letter or email meant for anyone else.

Walks everything the app can produce for one case: the draft and signed agreement PDFs, both letters,
the caseload export, the dashboard and the outcome report (page, CSV, PDF), every registered
notification template (each must be rendered here at least once, so a new template without coverage
fails this test), every Django admin list (searched for the secrets too) and every admin page of every
record (an admin is not on the case team: the victim side is masked unless revealed with a reason), and
the public verification page with a copy of the signed PDF.
"""

import datetime
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements import follow_up
from agreements.documents import agreement_pdf
from agreements.letters import letter_html
from agreements.models import Installment, Letter
from agreements.reminders import plan_follow_up_reminders
from cases.models import Case, OutcomeCheck, TimelineEvent
from cases.reminders import plan_case_reminders
from cases.texts import text_received
from mediation import services as mediation
from surveys.services import survey_invitations_plan
from tests.agreements.helpers import case_in_agreement, draft_with_money, send, sign_all
from tests.documents import pdf_text
from tests.mediation.helpers import case_in_preparation
from vom.notifications.models import Notification
from vom.notifications.services import TEMPLATES, render, render_text

TODAY = datetime.date.today()
SECRETS = ("17 Hidden Orchard Road", "Hidden Orchard", "(555) 0199-4242", "0199-4242", "ana.private@example.org")


def assert_clean(text: str, where: str):
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {where}"


@pytest.mark.django_db
def test_no_victim_contact_detail_leaves_the_case_team(program, coordinator, mediator, admin_user, client):
    case = case_in_agreement(program, coordinator, mediator, juvenile=True)
    victim = case.parties.get(role="victim")
    victim.address, victim.phone, victim.email = SECRETS[0], SECRETS[2], SECRETS[4]
    victim.consent_to_contact, victim.contact_method, victim.victim_updates = True, "email", True
    victim.save()
    for role, email in (("offender", "kai@example.org"), ("guardian", "rita@example.org")):
        party = case.parties.get(role=role)
        party.consent_to_contact, party.contact_method, party.email = True, "email", email
        party.save()
    Case.objects.filter(pk=case.pk).update(court_return_date=TODAY + timedelta(days=5))

    draft = draft_with_money(case, mediator, total="300.00", count=3)
    assert_clean(pdf_text(agreement_pdf(draft, draft=True)), "the draft agreement")
    signed = sign_all(send(draft, mediator), mediator)
    with signed.pdf.open("rb") as handle:
        assert_clean(pdf_text(handle.read()), "the signed agreement")

    # Every kind of notification for this case: a meeting with both sides, an installment and a service
    # deadline coming up, something overdue, a quiet case, a court date, a reoffending check, the
    # satisfaction survey after the joint session.
    prep = case_in_preparation(program, coordinator, mediator)
    prep_victim = prep.parties.get(role="victim")
    prep_victim.address, prep_victim.phone, prep_victim.email = SECRETS[0], SECRETS[2], SECRETS[4]
    prep_victim.consent_to_contact, prep_victim.contact_method = True, "email"
    prep_victim.save()
    prep_offender = prep.parties.get(role="offender")  # by email and by text
    prep_offender.consent_to_contact, prep_offender.contact_method, prep_offender.email = True, "email", "k@example.org"
    prep_offender.phone, prep_offender.texts_consented_at = "+16125550101", timezone.now()
    prep_offender.save()
    meetings = []
    for kind, role in (("prep_victim", "victim"), ("prep_offender", "offender")):
        meetings.append(mediation.meeting_schedule(
            case=prep, actor=mediator, kind=kind, scheduled_for=timezone.now() + timedelta(hours=1),
            location="Program office", attendees=list(prep.parties.filter(role=role)),
        ))  # fmt: skip
    Notification.objects.update(status="sent")  # the reminders went out: a change now reaches every calendar
    mediation.meeting_reschedule(meeting=meetings[0], expected_version=1, actor=mediator,
                                 scheduled_for=timezone.now() + timedelta(hours=3))  # fmt: skip
    mediation.meeting_cancel(meeting=meetings[1], expected_version=1, actor=mediator, reason="Victim afraid")
    # Replies to texts: help, something to read, stop and start again.
    for n, words in enumerate(("HELP", "Running late", "STOP", "START")):
        text_received(number="+16125550101", words=words, message_id=f"SM{n}")
    Case.objects.filter(pk=case.pk).update(stage="follow_up")
    installments = Installment.objects.filter(term__agreement=signed).order_by("number")
    # Missed long enough ago to put the agreement in default (and to tell the victim, who chose updates).
    Installment.objects.filter(pk=installments[0].pk).update(due_date=TODAY - timedelta(days=40))
    Installment.objects.filter(pk=installments[1].pk).update(due_date=TODAY + timedelta(days=2))
    apology = signed.terms.get(kind="apology")
    type(apology).objects.filter(pk=apology.pk).update(due_date=TODAY + timedelta(days=1))
    plan_follow_up_reminders()
    quiet = case_in_agreement(program, coordinator, mediator)
    Case.objects.filter(pk=quiet.pk).update(stage="screening")
    TimelineEvent.objects.filter(case=quiet).update(at=timezone.now() - timedelta(days=60))
    OutcomeCheck.objects.create(case=case, months=6, due_on=TODAY)
    plan_case_reminders()
    survey_invitations_plan()

    rendered = set()
    for notification in Notification.objects.all():
        if notification.channel == "sms":
            subject, text, html = "", render_text(notification), None
            assert "Victim afraid" not in text
        else:
            subject, text, html = render(notification)
        rendered.add(notification.template)
        if notification.email == SECRETS[4]:
            # The victim's own updates go to her own address, and never carry the offender's contact details.
            for part in (subject, text, html or "", str(notification.context)):
                assert "kai@example.org" not in part and "rita@example.org" not in part
            continue
        for part in (subject, text, html or "", str(notification.context)):
            assert_clean(part, f"the {notification.template} notification to {notification.email or notification.user}")
    assert rendered == set(TEMPLATES), f"not covered here: {set(TEMPLATES) - rendered}"

    # Every letter to the referral source, with and without consent to share the terms.
    for kind in (Letter.Kind.COMPLETION, Letter.Kind.NON_COMPLIANCE, Letter.Kind.PARTIAL, Letter.Kind.PROGRESS):
        assert_clean(letter_html(case, kind, reason="Behind"), f"the {kind} letter")
    follow_up.agreement_record_sharing_consent(agreement=signed, actor=coordinator, on=TODAY)
    signed.refresh_from_db()
    shared = letter_html(case, Letter.Kind.COMPLETION)
    assert_clean(shared, "the letter sharing terms")
    assert "Pay for the broken window." in shared
    for outcome in ("declined", "unsuitable", "unreachable", "no_agreement", "cancelled", "withdrawn"):
        Case.objects.filter(pk=quiet.pk).update(stage="closed", outcome=outcome, outcome_reason="Victim afraid")
        text = letter_html(Case.objects.get(pk=quiet.pk), Letter.Kind.CLOSURE)
        assert_clean(text, f"the {outcome} closure letter")
        assert "afraid" not in text, "a closure's reason went to the referral source"

    # The exports: the caseload CSV, and the outcome report on screen, as CSV and as PDF.
    client.force_login(coordinator)
    caseload = client.get("/cases/export.csv")
    assert_clean(b"".join(caseload.streaming_content).decode("utf-8-sig"), "the caseload CSV")
    period = {"program": program.pk, "start": TODAY - timedelta(days=400), "end": TODAY}
    assert_clean(client.get("/reports/outcomes/", period).content.decode(), "the outcome report page")
    report_csv = client.get("/reports/outcomes.csv", period)
    assert_clean(b"".join(report_csv.streaming_content).decode("utf-8-sig"), "the outcome report CSV")
    assert_clean(pdf_text(client.get("/reports/outcomes.pdf", period).content), "the outcome report PDF")
    assert_clean(client.get("/dashboard/").content.decode(), "the dashboard")

    # The public verification page, with the code and a copy of the signed PDF, for anyone.
    with signed.pdf.open("rb") as handle:
        copy = handle.read()
    public = Client()
    assert_clean(public.get("/verify/", {"code": signed.verification_code}).content.decode(), "the verification page")
    checked = public.post("/verify/", {"code": signed.verification_code, "copy": SimpleUploadedFile("a.pdf", copy)})
    assert "Identical to the stored signed PDF." in checked.content.decode()
    assert_clean(checked.content.decode(), "the verification page with a copy")

    # Django admin: every list (also searched for the secrets) and every record's own page.
    client.force_login(admin_user)
    pages = 0
    for model, model_admin in admin.site._registry.items():
        label = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        response = client.get(reverse(f"{label}_changelist"))
        assert response.status_code == 200, label
        assert_clean(response.content.decode(), f"the admin list {label}")
        for pk in model_admin.get_queryset(type("R", (), {"user": admin_user})()).values_list("pk", flat=True)[:40]:
            response = client.get(reverse(f"{label}_change", args=[pk]))
            assert response.status_code == 200, f"{label} {pk}"
            assert_clean(response.content.decode(), f"the admin page {label} {pk}")
            pages += 1
    assert pages > 100  # cases, parties' cases, notes, meetings, agreements, payments, notifications, audit …
    # No admin search finds a record by a victim's contact detail. (The audit trail is left out: it records each
    # of these searches, with what was typed, which is the point of it.)
    for model in admin.site._registry:
        if model._meta.model_name == "auditevent":
            continue
        label = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for secret in (SECRETS[4], "Hidden Orchard", "0199-4242"):
            assert client.get(reverse(f"{label}_changelist"), {"q": secret}).context["cl"].result_count == 0, label
