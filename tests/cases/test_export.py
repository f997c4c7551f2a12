"""The caseload CSV: coordinators only, their programs only, no contact details, spreadsheet-safe, audited."""

import csv
import io

import pytest

from tests.factories import CaseFactory, PartyFactory, PersonFactory
from vom.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def read(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_export_has_the_filtered_cases_and_no_contact_details(client, program, other_program, coordinator, case):
    PartyFactory(case=case, role="victim", email="secret@example.org", phone="555-0199", address="1 Safe House Road")
    case.parties.filter(role="offender").update(person=PersonFactory(first_name='=HYPERLINK("http://x")'))
    CaseFactory(program=program, stage="referred", number="R-OTHER")
    CaseFactory(program=other_program, stage="screening", number="L-0001")
    client.force_login(coordinator)
    response = client.get("/cases/export.csv", {"stage": "screening"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="caseload-')
    rows = read(response)
    assert rows[0][:3] == ["Case", "Program", "Referred"]
    assert [row[0] for row in rows[1:]] == [case.number]
    body = "\n".join(",".join(row) for row in rows)
    for secret in ["secret@example.org", "victim@example.org", "555-0199", "1 Safe House Road", "12 Hidden Lane",
                   "(555) 0100-1234"]:  # fmt: skip
        assert secret not in body
    offenders = rows[1][rows[0].index("Offenders")]
    assert offenders.startswith("'=HYPERLINK")  # written as text, never as a formula
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.user == coordinator and "1 case" in event.what and "stage=screening" in event.what


def test_export_is_for_coordinators_and_refuses_bad_filters(client, coordinator, mediator, admin_user, case):
    client.force_login(mediator)
    assert client.get("/cases/export.csv").status_code == 404
    client.force_login(admin_user)
    assert client.get("/cases/export.csv").status_code == 404
    client.force_login(coordinator)
    response = client.get("/cases/export.csv", {"referred_from": "2026-05-01", "referred_to": "2026-01-01"})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
    page = client.get(response["Location"])
    assert b"The end of the period is before its start." in page.content
    assert page.context["page"].paginator.count == 0


def test_caseload_filters_for_reports(client, program, coordinator):
    from tests.reports.dataset import build

    build(program)
    client.force_login(coordinator)

    def count(**query):
        response = client.get("/cases/", {"program": program.pk, **query})
        assert response.status_code == 200
        return response.context["page"].paginator.count

    period = {"referred_from": "2026-01-01", "referred_to": "2026-03-31"}
    assert count() == 8
    assert count(**period) == 6
    assert count(**period, reached="agreement") == 3
    assert count(**period, mediated="yes") == 4
    assert count(**period, mediated="no") == 2
    assert count(**period, juvenile="yes") == 3
    assert count(**period, outcome="returned") == 1
    assert count(stage="open") == 3
