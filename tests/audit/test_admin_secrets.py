"""Django admin keeps secrets: victims' contact details masked unless revealed with a reason (audited),
confidential notes read-only, every change view, list and search of case data recorded, accounts with a
history kept."""

import pytest
from django.urls import reverse

from cases.models import Note, Party
from tests.factories import CaseFactory, PartyFactory, PersonFactory
from vom.audit.models import AuditEvent

SECRETS = ("17 Hidden Orchard Road", "(555) 0199-4242", "ana.private@example.org")


@pytest.fixture
def victim_case(program, mediator):
    case = CaseFactory(program=program, stage="screening", lead_mediator=mediator)
    PartyFactory(case=case, role="offender", email="kai@example.org", phone="(555) 0100-7777")
    PartyFactory(case=case, role="victim", address=SECRETS[0], phone=SECRETS[1], email=SECRETS[2])
    return case


@pytest.fixture
def organisation_case(program, mediator):
    case = CaseFactory(program=program, stage="screening", lead_mediator=mediator)
    shop = PartyFactory(
        case=case, role="victim", person=PersonFactory(kind="organisation", organisation_name="Corner Shop",
                                                       first_name="", last_name=""), email="", phone="",
    )  # fmt: skip
    PartyFactory(case=case, role="victim_rep", related_party=shop, email="rep.private@example.org", phone="555-0123")
    return case


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


@pytest.mark.django_db
def test_the_case_change_view_masks_the_victim_side_and_is_audited(client, admin_user, victim_case, organisation_case):
    client.force_login(admin_user)
    page = client.get(reverse("admin:cases_case_change", args=[victim_case.pk])).content.decode()
    for secret in SECRETS:
        assert secret not in page
    assert "kai@example.org" in page and "hidden (victim side)" in page  # the offender's are not masked
    assert "Reveal victims' contact details" in page
    rep_page = client.get(reverse("admin:cases_case_change", args=[organisation_case.pk])).content.decode()
    assert "rep.private@example.org" not in rep_page and "555-0123" not in rep_page
    viewed = events(action="view", what__startswith="admin: cases.case")
    assert [(e.case_id, e.username) for e in viewed] == [(victim_case.pk, "root"), (organisation_case.pk, "root")]


@pytest.mark.django_db
def test_revealing_needs_a_reason_and_is_audited_with_it(client, admin_user, victim_case):
    client.force_login(admin_user)
    url = reverse("admin:cases_case_reveal_contacts", args=[victim_case.pk])
    form = client.get(url).content.decode()
    assert "Reason" in form and not any(secret in form for secret in SECRETS)
    refused = client.post(url, {"reason": "need"}).content.decode()  # too short to say anything
    assert "Ensure this value has at least 10 characters" in refused
    assert not any(secret in refused for secret in SECRETS)
    assert not events(action="reveal")
    shown = client.post(url, {"reason": "The court asked for the victim's address in writing."}).content.decode()
    assert all(secret in shown for secret in SECRETS)
    assert "kai@example.org" not in shown  # only the victim side, the part that was hidden
    (event,) = events(action="reveal")
    assert (event.case_id, event.username) == (victim_case.pk, "root")
    assert event.changes == {"reason": ["", "The court asked for the victim's address in writing."]}


@pytest.mark.django_db
def test_the_reveal_page_is_for_staff_only(client, coordinator, victim_case):
    client.force_login(coordinator)
    response = client.post(
        reverse("admin:cases_case_reveal_contacts", args=[victim_case.pk]), {"reason": "I want to see them all"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert not events(action="reveal")


@pytest.mark.django_db
def test_changelist_searches_and_lists_of_case_data_are_audited(client, admin_user, victim_case):
    client.force_login(admin_user)
    assert client.get("/admin/cases/case/", {"q": "Price"}).status_code == 200
    assert client.get("/admin/cases/note/").status_code == 200
    assert client.get("/admin/cases/program/").status_code == 200  # not case data: not recorded
    whats = [e.what for e in events(action="view")]
    assert whats == ["admin: list of cases.case; search and filters: q=Price", "admin: list of cases.note"]


@pytest.mark.django_db
def test_admin_change_views_of_notes_and_records_under_a_case_name_the_case(client, admin_user, victim_case, mediator):
    from tests.factories import MeetingFactory

    note = Note.objects.create(
        case=victim_case, author=mediator, body="Ordinary note", created_at=victim_case.stage_changed_at
    )
    meeting = MeetingFactory(case=victim_case, created_by=mediator)
    client.force_login(admin_user)
    assert client.get(reverse("admin:cases_note_change", args=[note.pk])).status_code == 200
    assert client.get(reverse("admin:mediation_meeting_change", args=[meeting.pk])).status_code == 200
    assert client.get(reverse("admin:cases_note_history", args=[note.pk])).status_code == 200
    viewed = events(action="view")
    assert [(e.what, e.case_id) for e in viewed] == [
        (f"admin: cases.note {note.pk}", victim_case.pk),
        (f"admin: mediation.meeting {meeting.pk}", victim_case.pk),
        (f"admin: history of cases.note {note.pk}", victim_case.pk),
    ]


@pytest.mark.django_db
def test_a_change_saved_in_the_admin_is_audited_with_its_case(client, admin_user, victim_case, mediator):
    note = Note.objects.create(
        case=victim_case, author=mediator, body="Typo in here", created_at=victim_case.stage_changed_at
    )
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:cases_note_change", args=[note.pk]),
        {"case": victim_case.pk, "author": mediator.pk, "body": "Typo fixed", "created_at_0": "2026-10-02",
         "created_at_1": "10:00"},
    )  # fmt: skip
    assert response.status_code == 302
    (event,) = events(action="change")
    assert (event.what, event.case_id) == (f"admin: cases.note {note.pk}", victim_case.pk)


@pytest.mark.django_db
def test_confidential_notes_are_read_only_in_the_admin(client, admin_user, victim_case, mediator):
    note = Note.objects.create(case=victim_case, author=mediator, body="Victim fears retaliation", confidential=True,
                               created_at=victim_case.stage_changed_at)  # fmt: skip
    client.force_login(admin_user)
    url = reverse("admin:cases_note_change", args=[note.pk])
    page = client.get(url).content.decode()
    assert 'name="body"' not in page  # shown, not editable
    response = client.post(url, {"case": victim_case.pk, "author": mediator.pk, "body": "Changed", "confidential": ""})
    assert response.status_code == 403
    note.refresh_from_db()
    assert (note.body, note.confidential) == ("Victim fears retaliation", True)
    assert client.post(reverse("admin:cases_note_delete", args=[note.pk]), {"post": "yes"}).status_code == 403
    assert Note.objects.filter(pk=note.pk).exists()


@pytest.mark.django_db
def test_a_notification_to_a_party_shows_no_address_in_the_admin(client, admin_user, victim_case):
    from django.utils import timezone

    from vom.notifications.models import Notification

    notification = Notification.objects.create(
        dedupe_key="t:1", template="meeting_reminder", email=SECRETS[2], name="Ana Price", case_id=victim_case.pk,
        context={"location": SECRETS[0]}, due_at=timezone.now(), status="failed",
        last_error=f"550 5.1.1 <{SECRETS[2]}>: mailbox unavailable",
    )  # fmt: skip
    client.force_login(admin_user)
    for url in ("/admin/notifications/notification/", reverse("admin:notifications_notification_change",
                                                                 args=[notification.pk])):  # fmt: skip
        page = client.get(url).content.decode()
        assert SECRETS[2] not in page and SECRETS[0] not in page
        assert "a party&#x27;s address (hidden)" in page
    assert client.get("/admin/notifications/notification/", {"q": SECRETS[2]}).context["cl"].result_count == 0


@pytest.mark.django_db
def test_a_user_with_a_history_is_deactivated_not_deleted(client, admin_user, mediator, password):
    client.post("/accounts/login/", {"username": "med", "password": password})  # an audit row names them
    client.force_login(admin_user)
    response = client.post(reverse("admin:users_user_delete", args=[mediator.pk]), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "appears in the audit trail, so the account is kept" in response.content.decode()
    mediator.refresh_from_db()
    assert mediator.is_active
    actions = client.get("/admin/users/user/").context["action_form"].fields["action"].choices
    assert "delete_selected" not in [name for name, _ in actions]
    client.post("/admin/users/user/", {"action": "deactivate", "_selected_action": [mediator.pk]})
    mediator.refresh_from_db()
    assert not mediator.is_active
    assert AuditEvent.objects.filter(user=mediator).exists()


@pytest.mark.django_db
def test_deleting_a_user_with_audit_rows_is_refused_by_the_database_too(mediator):
    from django.db.models import ProtectedError

    from vom.audit.services import audit_record

    audit_record(user=mediator, action=AuditEvent.Action.LOGIN, what="sign-in")
    with pytest.raises(ProtectedError):
        mediator.delete()  # a clear refusal, never the append-only trigger's error


@pytest.mark.django_db
def test_a_user_who_never_signed_in_can_still_be_deleted(client, admin_user, no_role_user):
    client.force_login(admin_user)
    response = client.post(reverse("admin:users_user_delete", args=[no_role_user.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not type(no_role_user).objects.filter(pk=no_role_user.pk).exists()


@pytest.mark.django_db
def test_terms_and_installments_are_read_only_in_the_admin(client, admin_user, program, coordinator, mediator):
    from tests.agreements.helpers import case_in_agreement, draft_with_money

    agreement = draft_with_money(case_in_agreement(program, coordinator, mediator), mediator)
    term = agreement.terms.get(kind="money")
    client.force_login(admin_user)
    url = reverse("admin:agreements_term_change", args=[term.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"amount": "999.00", "installments-TOTAL_FORMS": "0", "installments-INITIAL_FORMS": "0"}
    )
    assert response.status_code == 403
    term.refresh_from_db()
    assert sum(i.amount for i in term.installments.all()) == term.amount
    assert client.get(reverse("admin:agreements_term_add")).status_code == 403


@pytest.mark.django_db
def test_every_page_of_one_case_is_audited_once_per_view(client, mediator, coordinator, victim_case):
    from tests.factories import MeetingFactory

    meeting = MeetingFactory(case=victim_case, created_by=mediator)
    party = Party.objects.get(case=victim_case, role="offender")
    client.force_login(mediator)
    pages = {
        f"/cases/{victim_case.pk}/parties/{party.pk}/edit/": "cases:party_edit",
        f"/cases/{victim_case.pk}/parties/{party.pk}/screening/": "mediation:screening",
        f"/cases/{victim_case.pk}/meetings/{meeting.pk}/": "mediation:meeting",
        f"/cases/{victim_case.pk}/time/": "mediation:time",
        f"/cases/{victim_case.pk}/": "case page",
    }
    for url in pages:
        assert client.get(url).status_code == 200, url
    viewed = events(action="view")
    assert [(e.what, e.case_id, e.username) for e in viewed] == [
        (what, victim_case.pk, "med") for what in pages.values()
    ]
