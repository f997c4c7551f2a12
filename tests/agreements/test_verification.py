"""The public verification page (/verify/): a court clerk with a code and a copy, no account.

Answers only: genuine or not, case number, version, date signed, status, and whether the copy is byte for
byte the stored PDF. Never names, terms or contacts; every lookup audited; rate-limited per address."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from agreements import services
from agreements.models import Agreement
from cases.services import case_close
from tests.agreements.helpers import case_in_agreement, draft_with_money, send, sign_all
from vom.audit.models import AuditEvent

NEVER_SHOWN = (
    "Kai Lopez", "Rita Lopez", "Ana Price", "Grace Okafor",  # the parties and the mediator
    "Pay for the broken window", "letter of apology", "$300.00", "$100.00",  # the terms
    "ana.secret@example.org", "0199-4242", "Hidden Orchard",  # the victim's contact details
)  # fmt: skip


@pytest.fixture
def signed(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator, juvenile=True)
    victim = case.parties.get(role="victim")
    victim.email, victim.phone, victim.address = "ana.secret@example.org", "(555) 0199-4242", "17 Hidden Orchard Road"
    victim.save()
    return sign_all(send(draft_with_money(case, mediator, total="300.00", count=3), mediator), mediator)


def stored_pdf(agreement) -> bytes:
    with agreement.pdf.open("rb") as handle:
        return handle.read()


def assert_says_nothing_private(html: str) -> None:
    for secret in NEVER_SHOWN:
        assert secret not in html, f"{secret!r} shown on the public verification page"


@pytest.mark.django_db
def test_a_genuine_code_answers_case_version_date_and_status_and_nothing_else(client, signed):
    response = client.get("/verify/", {"code": signed.verification_code})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Genuine" in html and signed.case.number in html
    assert "<dt>Version</dt><dd>1</dd>" in html
    signed_on = timezone.localdate(signed.signed_at)  # the program's day, not UTC's: late evening is still today
    assert f"{signed_on:%B} {signed_on.day}, {signed_on.year}" in html
    assert "Current: this is the agreement in force." in html
    assert_says_nothing_private(html)
    assert signed.case.program.name not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.django_db
def test_the_uploaded_copy_is_compared_byte_for_byte_with_the_stored_pdf(client, signed):
    original = stored_pdf(signed)
    same = client.post("/verify/", {"code": signed.verification_code, "copy": SimpleUploadedFile("a.pdf", original)})
    assert "Identical to the stored signed PDF." in same.content.decode()
    one_byte = bytearray(original)
    one_byte[len(one_byte) // 2] ^= 0x01
    changed = client.post(
        "/verify/", {"code": signed.verification_code, "copy": SimpleUploadedFile("a.pdf", bytes(one_byte))}
    )
    html = changed.content.decode()
    assert "Not identical to the stored signed PDF" in html and "Genuine" in html
    assert_says_nothing_private(html)
    whats = list(AuditEvent.objects.filter(action="verify").order_by("pk").values_list("what", flat=True))
    assert whats == [
        f"verification of code {signed.verification_code}: genuine, current; uploaded copy identical",
        f"verification of code {signed.verification_code}: genuine, current; uploaded copy different",
    ]


@pytest.mark.django_db
def test_a_code_is_found_however_it_was_typed(client, signed):
    typed = signed.verification_code.replace("-", " ").lower()
    assert "Genuine" in client.get("/verify/", {"code": typed}).content.decode()
    assert "Genuine" in client.get("/verify/", {"code": signed.verification_code.replace("-", "")}).content.decode()


@pytest.mark.django_db
def test_an_unknown_or_draft_code_is_not_genuine_and_the_lookup_is_audited(client, program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    draft = draft_with_money(case, mediator)
    from agreements.documents import agreement_context

    draft_code = agreement_context(draft, draft=True)["code"]  # what a draft preview prints
    for code in ("ABCD-EF01-2345-6789-ABCD", draft_code):
        html = client.get("/verify/", {"code": code}, REMOTE_ADDR="203.0.113.40").content.decode()
        assert "Not found: no signed agreement has this code" in html and case.number not in html
    events = AuditEvent.objects.filter(action="verify").order_by("pk")
    assert [(e.what.endswith("not found"), e.case_id, e.ip_address, e.user_id) for e in events] == [
        (True, None, "203.0.113.40", None),
        (True, None, "203.0.113.40", None),
    ]
    garbled = client.get("/verify/", {"code": "not a code"}).content.decode()
    assert "five groups of four" in garbled
    assert AuditEvent.objects.filter(action="verify").count() == 2  # nothing looked up


@pytest.mark.django_db
def test_a_superseded_version_names_the_version_in_force(client, signed, mediator):
    amendment = services.agreement_amend(agreement=signed, actor=mediator, reason="Missed payments")
    sign_all(send(amendment, mediator), mediator)
    html = client.get("/verify/", {"code": signed.verification_code}).content.decode()
    assert "Superseded by version 2: this version is no longer the agreement in force." in html
    newer = Agreement.objects.get(pk=amendment.pk)
    assert "Current" in client.get("/verify/", {"code": newer.verification_code}).content.decode()


@pytest.mark.django_db
def test_an_agreement_of_a_case_withdrawn_after_signing_says_withdrawn(client, signed, coordinator):
    case = signed.case
    case.refresh_from_db()
    case_close(case=case, expected_version=case.version, actor=coordinator, outcome="withdrawn", reason="Moved away")
    html = client.get("/verify/", {"code": signed.verification_code}).content.decode()
    assert "Withdrawn: the case was withdrawn after this agreement was signed." in html
    assert "Moved away" not in html


@pytest.mark.django_db
def test_lookups_are_limited_per_address_with_a_clear_message(client, signed, settings):
    settings.VERIFY_RATE_LIMIT = 3
    address = f"2001:db8:{uuid.uuid4().int % 65536:x}::7"  # a network of its own: the count is in Redis in CI
    for _ in range(3):
        assert client.get("/verify/", {"code": signed.verification_code}, REMOTE_ADDR=address).status_code == 200
    refused = client.get("/verify/", {"code": signed.verification_code}, REMOTE_ADDR=address)
    assert refused.status_code == 429
    assert "Too many checks from your address. Try again in" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    neighbour = address.replace("::7", "::8")  # same /64: the same household or phone
    assert client.get("/verify/", {"code": signed.verification_code}, REMOTE_ADDR=neighbour).status_code == 429
    other = f"2001:db8:{(uuid.uuid4().int % 65536):x}:1::7"
    assert client.get("/verify/", {"code": signed.verification_code}, REMOTE_ADDR=other).status_code == 200
    assert AuditEvent.objects.filter(action="verify").count() == 4  # refused lookups looked nothing up


@pytest.mark.django_db
def test_the_page_without_a_code_is_a_form_and_counts_nothing(client, settings):
    settings.VERIFY_RATE_LIMIT = 0
    response = client.get("/verify/")
    assert response.status_code == 200 and "Verification code" in response.content.decode()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_oversized_copy_is_refused_while_it_streams_in_and_nothing_touches_the_disk(
    client, signed, settings, tmp_path
):
    from agreements.verification import MAX_COPY_BYTES

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * MAX_COPY_BYTES)
    response = client.post("/verify/", {"code": signed.verification_code, "copy": big})
    assert response.status_code == 200
    assert "larger than 20 MB" in response.content.decode()
    # A 3 MB copy (above the 2.5 MB Django would keep in memory before writing a temporary file).
    middling = SimpleUploadedFile("mid.pdf", b"%PDF-1.7\n" + b"1" * 3_000_000)
    answer = client.post("/verify/", {"code": signed.verification_code, "copy": middling}).content.decode()
    assert "Not identical" in answer
    assert list((tmp_path / "uploads").iterdir()) == []


@pytest.mark.django_db
def test_a_copy_that_is_not_a_pdf_is_refused(client, signed):
    response = client.post(
        "/verify/", {"code": signed.verification_code, "copy": SimpleUploadedFile("a.txt", b"hello")}
    )
    assert "That file is not a PDF" in response.content.decode()


@pytest.mark.django_db
def test_the_public_page_checks_csrf_on_its_post(signed):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/verify/", {"code": signed.verification_code})
    assert response.status_code == 403
    page = client.get("/verify/")
    token = page.cookies["csrftoken"].value
    ok = client.post("/verify/", {"code": signed.verification_code, "csrfmiddlewaretoken": token})
    assert ok.status_code == 200 and "Genuine" in ok.content.decode()


@pytest.mark.django_db
def test_query_count_of_a_lookup(client, signed, django_assert_num_queries):
    # 1 the agreement with its case, 2 the audit row (the rate limit is counted in the cache, not the database)
    with django_assert_num_queries(2):
        response = client.get("/verify/", {"code": signed.verification_code})
    assert "Genuine" in response.content.decode()


@pytest.mark.django_db
def test_the_team_checks_a_copy_on_the_agreement_page_without_it_touching_the_disk(
    client, signed, mediator, settings, tmp_path
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    client.force_login(mediator)
    url = f"/cases/{signed.case_id}/agreements/{signed.pk}/verify/"
    original = stored_pdf(signed)
    same = client.post(url, {"copy": SimpleUploadedFile("a.pdf", original + b"")})
    assert "This file is identical to the signed agreement." in same.content.decode()
    big = client.post(url, {"copy": SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * (21 * 1024 * 1024))})
    assert "larger than 20 MB" in big.content.decode()
    assert list((tmp_path / "uploads").iterdir()) == []
