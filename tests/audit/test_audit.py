"""The audit trail: who saw or changed what, when, from where; append-only."""

import datetime

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from tests.conftest import require
from vom.audit.models import AuditEvent


@pytest.mark.django_db
def test_viewing_a_case_page_is_recorded(client, case, mediator):
    client.force_login(mediator)
    client.get(f"/cases/{case.pk}/", REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Tablet")
    event = AuditEvent.objects.get(action="view")
    assert (event.user, event.case_id, event.what, event.ip_address, event.user_agent) == (
        mediator, case.pk, "case page", "198.51.100.7", "Tablet",
    )  # fmt: skip


@pytest.mark.django_db
def test_every_change_is_recorded_with_its_case(client, case, mediator):
    client.force_login(mediator)
    client.post(f"/cases/{case.pk}/notes/", {"body": "Called the school"})
    event = AuditEvent.objects.get(action="change")
    assert (event.what, event.case_id, event.username) == ("cases:note_add", case.pk, mediator.username)


@pytest.mark.django_db
def test_edits_record_fields_with_confidential_values_masked(client, case, coordinator):
    client.force_login(coordinator)
    victim = case.parties.get(role="victim")
    client.post(
        f"/cases/{case.pk}/parties/{victim.pk}/edit/",
        {"preferred_language": "es", "consent_to_contact": "on", "contact_method": "email",
         "email": "new.secret@example.org", "address": "9 New Hidden Street", "version": victim.version},
    )  # fmt: skip
    event = AuditEvent.objects.get(action="change")
    assert event.changes["preferred_language"] == ["en", "es"]
    assert event.changes["email"] == ["•••", "•••"] and event.changes["address"] == ["•••", "•••"]
    assert "new.secret" not in str(event.changes) and "Hidden" not in str(event.changes)


@pytest.mark.django_db
def test_a_change_and_its_audit_row_are_saved_together(client, case, coordinator):
    """The service writes the audit row in its own transaction: a refused (stale) save leaves neither."""
    client.force_login(coordinator)
    victim = case.parties.get(role="victim")
    stale = client.post(
        f"/cases/{case.pk}/parties/{victim.pk}/edit/",
        {"preferred_language": "es", "version": victim.version - 1},
    )
    assert stale.status_code == 200 and "Someone else saved the details" in stale.content.decode()
    assert not AuditEvent.objects.filter(action="change").exists()
    edited = client.post(
        f"/cases/{case.pk}/edit/",
        {"case-referral_source": case.referral_source_id, "case-referral_date": case.referral_date.isoformat(),
         "case-referral_type": case.referral_type, "case-offense_category": "other",
         "case-incident_date": case.incident_date.isoformat(), "case-version": case.version},
    )  # fmt: skip
    assert edited.status_code == 302
    event = AuditEvent.objects.get(action="change", what="case referral")
    assert event.changes["offense_category"] == [case.offense_category, "other"] and event.case_id == case.pk


@pytest.mark.django_db
def test_sign_in_sign_out_and_failures_are_recorded(client, coordinator, password):
    client.post("/accounts/login/", {"username": "coord", "password": "wrong-password"}, REMOTE_ADDR="203.0.113.5")
    client.post("/accounts/login/", {"username": "coord", "password": password})
    client.post("/accounts/logout/")
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "username"))
    assert actions == [("login_failed", "coord"), ("login", "coord"), ("logout", "coord")]
    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.ip_address == "203.0.113.5" and "wrong-password" not in str(failed.changes)


@pytest.mark.django_db
def test_only_coordinators_see_who_accessed_the_case(client, case, mediator, coordinator):
    client.force_login(mediator)
    client.get(f"/cases/{case.pk}/")
    assert "Who accessed this case" not in client.get(f"/cases/{case.pk}/").content.decode()
    client.force_login(coordinator)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Who accessed this case" in page and mediator.username in page


@pytest.mark.django_db
def test_the_access_list_shows_the_programs_local_time(client, case, coordinator, settings):
    settings.TIME_ZONE = "America/Chicago"
    with time_machine.travel(datetime.datetime(2026, 12, 2, 22, 5, 9, tzinfo=datetime.UTC), tick=False):
        client.force_login(coordinator)
        client.get(f"/cases/{case.pk}/")
        page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Dec 2, 2026 4:05:09 PM CST" in page and "UTC" not in page


@pytest.mark.django_db
def test_the_database_refuses_to_edit_or_delete_audit_rows(coordinator):
    require(connection.vendor == "postgresql", "the append-only trigger is PostgreSQL's")
    event = AuditEvent.objects.create(user=coordinator, username="coord", action="view", what="x")
    for attempt in (lambda: AuditEvent.objects.filter(pk=event.pk).update(what="y"),
                    lambda: AuditEvent.objects.filter(pk=event.pk).delete()):  # fmt: skip
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert AuditEvent.objects.get(pk=event.pk).what == "x"


@pytest.mark.django_db
def test_a_refused_form_is_not_recorded_as_a_change(client, case, coordinator):
    client.force_login(coordinator)
    client.post(f"/cases/{case.pk}/close/", {"version": case.version, "outcome": "withdrawn", "reason": ""})
    assert not AuditEvent.objects.filter(action="change").exists()


@pytest.mark.django_db
def test_the_access_log_stays_out_of_the_page_title(client, case, coordinator):
    client.force_login(coordinator)
    client.get(f"/cases/{case.pk}/")
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"<title>Case {case.number} · VOM Case Manager</title>" in body
    assert body.count("Who accessed this case") == 1


def test_admins_export_the_trail_as_csv_and_the_export_is_itself_recorded(client, case, mediator, admin_user):
    import csv
    import io

    client.force_login(mediator)
    client.get(f"/cases/{case.pk}/")
    client.force_login(admin_user)
    ids = list(AuditEvent.objects.values_list("pk", flat=True))
    response = client.post("/admin/audit/auditevent/", {"action": "export_csv", "_selected_action": ids, "index": 0})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "At (UTC)"
    assert any(row[2] == "view" and row[4] == str(case.pk) and row[1] == mediator.username for row in rows[1:])
    assert AuditEvent.objects.filter(action="export", user=admin_user, what__startswith="audit trail CSV").exists()


def test_every_namespace_with_case_pages_is_audited_as_such(settings):
    """A URL under /cases/<pk>/ reads or changes that case: its app must be one the middleware ties to the case."""
    from django.urls import URLResolver, get_resolver

    namespaces = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace not in {None, "admin"}:
            for pattern in entry.url_patterns:
                if str(pattern.pattern).startswith("cases/<int:pk>/"):
                    namespaces.add(entry.namespace)
    assert namespaces == set(settings.VOM_AUDIT_CASE_NAMESPACES)


@pytest.mark.django_db
def test_the_audited_namespaces_come_from_settings(client, case, mediator, settings):
    client.force_login(mediator)
    settings.VOM_AUDIT_CASE_NAMESPACES = ["cases", "agreements"]  # mediation's pages no longer tied to the case
    client.get(f"/cases/{case.pk}/meetings/new/?kind=prep_offender")
    assert not AuditEvent.objects.filter(what__startswith="mediation:").exists()
    settings.VOM_AUDIT_CASE_NAMESPACES = ["cases", "mediation", "agreements"]
    client.get(f"/cases/{case.pk}/meetings/new/?kind=prep_offender")
    assert AuditEvent.objects.get(what="mediation:meeting_new").case_id == case.pk


@pytest.mark.django_db
def test_a_cases_events_are_found_through_one_index():
    """Every audited case page inserts a row: one index leads with case_id, (case_id, at DESC), which also serves a
    lookup by the case alone (a second one on case_id was an insert more per view for nothing)."""
    require(connection.vendor == "postgresql", "the indexes are read from PostgreSQL's catalogue")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_auditevent'")
        leading_case = [d for (d,) in cursor.fetchall() if "(case_id" in d]
    assert len(leading_case) == 1 and leading_case[0].endswith("(case_id, at DESC)")
