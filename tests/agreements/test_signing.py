"""A signature is given by the person named: a mediator signs only from their own account, confirming
with their password (or their authenticator's code); parties sign on the team's tablet; a program may ask for
both mediators' signatures."""

import pytest

from agreements import services
from agreements.models import Agreement, Signature
from agreements.selectors import required_signers
from cases.models import Case
from cases.selectors import my_cases_rows, my_open_cases
from tests.agreements.helpers import PNG_URL, TODAY, case_in_agreement, draft_with_money, send, sign_all
from tests.factories import TEST_PASSWORD
from tests.two_factor import code_for, give_authenticator
from vom.audit.models import AuditEvent
from vom.core.errors import DomainError


@pytest.fixture
def awaiting(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    return send(draft_with_money(case, mediator), mediator)


def mediator_key(user) -> str:
    return f"m{user.pk}"


def sign_page(agreement, key) -> str:
    return f"/cases/{agreement.case_id}/agreements/{agreement.pk}/sign/{key}/"


@pytest.mark.django_db
def test_a_co_mediator_cannot_sign_as_the_lead_mediator(client, awaiting, mediator, unassigned_mediator):
    Case.objects.filter(pk=awaiting.case_id).update(co_mediator=unassigned_mediator)
    client.force_login(unassigned_mediator)
    url = sign_page(awaiting, mediator_key(mediator))
    page = client.get(url)
    assert page.status_code == 403
    assert "Only Grace Okafor can sign as mediator, signed in to their own account" in page.content.decode()
    assert 'name="method"' not in page.content.decode()  # no form to fill in
    posted = client.post(url, {"method": "typed", "typed_name": "Grace Okafor", "consent": "on",
                               "credential": TEST_PASSWORD})  # fmt: skip
    assert posted.status_code == 403 and "nothing was signed" in posted.content.decode()
    assert not Signature.objects.exists()
    refused = AuditEvent.objects.filter(action="refused", username=unassigned_mediator.username)
    assert refused.count() == 2
    assert all(e.case_id == awaiting.case_id and e.what.startswith("refused (signed in as someone else): signature "
               "of mediator Grace Okafor") for e in refused)  # fmt: skip


@pytest.mark.django_db
def test_the_service_refuses_someone_elses_mediator_signature_and_records_it(awaiting, mediator, coordinator):
    with pytest.raises(DomainError, match="Only Grace Okafor can sign as mediator"):
        services.signature_add(agreement=awaiting, signer_key=mediator_key(mediator), actor=coordinator,
                               method="drawn", drawn=PNG_URL, credential=TEST_PASSWORD)  # fmt: skip
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="refused", username="coord", case_id=awaiting.case_id).count() == 1


@pytest.mark.django_db
def test_a_mediator_signs_as_themselves_with_their_password(client, awaiting, mediator):
    client.force_login(mediator)
    url = sign_page(awaiting, mediator_key(mediator))
    page = client.get(url).content.decode()
    assert "Your password" in page and 'type="password"' in page
    wrong = client.post(url, {"method": "drawn", "drawn": PNG_URL, "credential": "not-my-password"})
    assert "That password is not right" in wrong.content.decode()
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(
        action="refused", username="med", what__startswith="refused (wrong password)"
    ).exists()
    right = client.post(url, {"method": "drawn", "drawn": PNG_URL, "credential": TEST_PASSWORD})
    assert right.status_code == 302
    signature = Signature.objects.get()
    assert (signature.mediator, signature.recorded_by, signature.method) == (mediator, mediator, "drawn")


@pytest.mark.django_db
def test_a_mediator_with_an_authenticator_confirms_with_its_code(client, awaiting, mediator):
    device = give_authenticator(mediator)
    client.force_login(mediator)
    url = sign_page(awaiting, mediator_key(mediator))
    assert "Your 6-digit code from your authenticator app" in client.get(url).content.decode()
    password = client.post(url, {"method": "drawn", "drawn": PNG_URL, "credential": TEST_PASSWORD})
    assert "Enter the 6-digit code" in password.content.decode()
    assert client.post(url, {"method": "drawn", "drawn": PNG_URL, "credential": code_for(device)}).status_code == 302
    assert Signature.objects.filter(mediator=mediator).exists()


@pytest.mark.django_db
def test_wrong_passwords_at_signing_are_limited(awaiting, mediator):
    for _ in range(5):
        with pytest.raises(DomainError, match="password is not right"):
            services.signature_add(agreement=awaiting, signer_key=mediator_key(mediator), actor=mediator,
                                   method="drawn", drawn=PNG_URL, credential="guess")  # fmt: skip
    with pytest.raises(DomainError, match="Too many wrong passwords"):
        services.signature_add(agreement=awaiting, signer_key=mediator_key(mediator), actor=mediator,
                               method="drawn", drawn=PNG_URL, credential=TEST_PASSWORD)  # fmt: skip
    assert not Signature.objects.exists()


@pytest.mark.django_db
def test_parties_sign_on_the_mediators_tablet_with_who_held_it_recorded(client, awaiting, mediator):
    offender = awaiting.case.parties.get(role="offender")
    client.force_login(mediator)
    page = client.get(sign_page(awaiting, f"p{offender.pk}")).content.decode()
    assert "Your password" not in page  # a party needs no account and no password
    client.post(sign_page(awaiting, f"p{offender.pk}"), {"method": "typed", "typed_name": "Kai Lopez", "consent": "on"})
    signature = Signature.objects.get()
    assert (signature.party, signature.recorded_by, signature.method) == (offender, mediator, "typed")


@pytest.mark.django_db
def test_the_agreement_page_offers_a_mediators_signature_only_to_that_mediator(client, awaiting, mediator, coordinator):
    url = f"/cases/{awaiting.case_id}/agreements/{awaiting.pk}/"
    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert 'Sign<span class="visually-hidden"> as Grace Okafor' not in page
    assert "Signs from their own account" in page
    client.force_login(mediator)
    assert 'Sign<span class="visually-hidden"> as Grace Okafor' in client.get(url).content.decode()


@pytest.mark.django_db
def test_a_program_may_require_both_mediators_to_sign(awaiting, program, mediator, unassigned_mediator):
    case = awaiting.case
    Case.objects.filter(pk=case.pk).update(co_mediator=unassigned_mediator)
    case.refresh_from_db()
    assert [s.role for s in required_signers(case)][-1] == "Mediator"  # the default: the lead alone
    program.co_mediator_signs = True
    program.save()
    case = Case.objects.select_related("program").get(pk=case.pk)
    assert [(s.role, s.name) for s in required_signers(case)][-2:] == [
        ("Mediator", "Grace Okafor"),
        ("Co-mediator", unassigned_mediator.get_full_name()),
    ]
    awaiting = Agreement.objects.get(pk=awaiting.pk)
    for status in [s for s in required_signers(case) if s.mediator is None or s.mediator == mediator]:
        services.signature_add(agreement=awaiting, signer_key=status.key, actor=mediator, method="drawn",
                               drawn=PNG_URL, credential=TEST_PASSWORD if status.mediator else "")  # fmt: skip
    awaiting.refresh_from_db()
    assert awaiting.status == Agreement.Status.AWAITING  # the co-mediator has not signed yet
    with pytest.raises(DomainError, match="Only"):
        services.signature_add(agreement=awaiting, signer_key=mediator_key(unassigned_mediator), actor=mediator,
                               method="drawn", drawn=PNG_URL, credential=TEST_PASSWORD)  # fmt: skip
    signed = sign_all(awaiting, mediator)  # the co-mediator signs from their own account
    assert signed.status == Agreement.Status.SIGNED
    assert signed.signatures.get(mediator=unassigned_mediator).recorded_by == unassigned_mediator


@pytest.mark.django_db
def test_the_mediator_home_says_what_the_agreement_waits_for(client, program, coordinator, mediator):
    from agreements.selectors import signer_statuses

    def home_action(case) -> str:
        row = next(row for row in my_cases_rows(my_open_cases(mediator), TODAY) if row["pk"] == case.pk)
        return row["action"].label

    case = case_in_agreement(program, coordinator, mediator)
    other = case_in_agreement(program, coordinator, mediator)
    assert home_action(case) == "Draft the written agreement"
    agreement = draft_with_money(case, mediator)
    assert home_action(case) == "Add the terms and send the agreement for signatures"
    agreement = send(agreement, mediator)
    first = next(status.signer for status in signer_statuses(agreement) if not status.signer.mediator)
    services.signature_add(agreement=agreement, signer_key=first.key, actor=mediator, method="drawn", drawn=PNG_URL,
                           credential="", ip_address="10.0.0.7", user_agent="tablet")  # fmt: skip
    assert home_action(case) == "Collect signatures (1 signed so far)"
    assert home_action(other) == "Draft the written agreement"  # each case its own agreement
    client.force_login(mediator)
    assert "Collect signatures (1 signed so far)" in client.get("/my/").content.decode()
