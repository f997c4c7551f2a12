"""Who reaches which URL, for every URL of the app and every role.

The URLconf walk fails when a new URL has no entry here. Expected answers:
"login" = redirect to sign in; 404 = the user may not see the case; 403 = they see it but may not
do this; 405 = wrong method (POST-only actions are also checked with POST below).
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from cases.models import Case
from cases.policies import PROGRAM_ACTIONS, program_scope, programs_for

ROLES = ["anonymous", "no_role", "mediator", "unassigned_mediator", "coordinator", "other_coordinator", "admin"]


def expect(**overrides):
    base = {role: 404 for role in ROLES} | {"anonymous": "login"}
    return base | overrides


EVERYONE = {role: 200 for role in ROLES}
SIGNED_IN = {role: 200 for role in ROLES} | {"anonymous": "login"}
VIEW = expect(mediator=200, coordinator=200, admin=200)
TEAM = expect(mediator=200, coordinator=200, admin=403)
COORDINATOR = expect(mediator=403, coordinator=200, admin=403)
POST_ONLY = {role: 405 for role in ROLES}
REPORTS = expect(coordinator=200, other_coordinator=200, admin=200)

# URL name -> (path builder, expected GET answer per role, expected POST answer per role or None)
ACCESS = {
    "cases:home": (lambda o: "/", {**{r: 302 for r in ROLES}, "no_role": 200, "anonymous": "login"}, None),
    "cases:my": (lambda o: "/my/", SIGNED_IN, None),
    "cases:list": (lambda o: "/cases/", SIGNED_IN, None),
    # Coordinators export their own programs' cases only; everyone else is told nothing is there.
    "cases:export": (lambda o: "/cases/export.csv", expect(coordinator=200, other_coordinator=200), None),
    # Dashboard and reports: coordinators (their own programs) and admins (every program).
    "reports:dashboard": (lambda o: "/dashboard/", REPORTS, None),
    "reports:outcomes": (lambda o: "/reports/outcomes/", REPORTS, None),
    "reports:outcomes_csv": (lambda o: "/reports/outcomes.csv", REPORTS, None),
    "reports:outcomes_pdf": (lambda o: "/reports/outcomes.pdf", REPORTS, None),
    # Pages of the coordinator's role: for everyone else, as the reports, nothing is there.
    "cases:intake": (lambda o: "/cases/new/", expect(coordinator=200, other_coordinator=200), None),
    "cases:detail": (lambda o: f"/cases/{o['case'].pk}/", VIEW, None),
    "cases:edit": (lambda o: f"/cases/{o['case'].pk}/edit/", COORDINATOR, None),
    "cases:party_add": (lambda o: f"/cases/{o['case'].pk}/parties/add/", TEAM, None),
    "cases:party_edit": (lambda o: f"/cases/{o['case'].pk}/parties/{o['offender'].pk}/edit/", TEAM, None),
    "cases:note_add": (
        lambda o: f"/cases/{o['case'].pk}/notes/",
        POST_ONLY,
        expect(mediator=302, coordinator=302, admin=403),
    ),
    "cases:move": (
        lambda o: f"/cases/{o['case'].pk}/move/begin_preparation/",
        POST_ONLY,
        expect(mediator=302, coordinator=302, admin=403),
    ),
    # The SMS provider's webhook: POST only, and refused to anyone who does not sign as the provider.
    "cases:text_inbound": (lambda o: "/sms/inbound/", POST_ONLY, {role: 403 for role in ROLES}),
    "cases:close": (lambda o: f"/cases/{o['case'].pk}/close/", COORDINATOR, None),
    "cases:reopen": (lambda o: f"/cases/{o['case'].pk}/reopen/", COORDINATOR, None),
    "cases:outcome_checks": (lambda o: "/outcome-checks/", expect(coordinator=200, other_coordinator=200), None),
    "cases:outcome_check": (lambda o: f"/cases/{o['case'].pk}/outcome-checks/{o['check'].pk}/", COORDINATOR, None),
    "mediation:assign": (lambda o: f"/cases/{o['case'].pk}/assign/", COORDINATOR, None),
    "mediation:screening": (lambda o: f"/cases/{o['case'].pk}/parties/{o['offender'].pk}/screening/", TEAM, None),
    "mediation:contact_add": (
        lambda o: f"/cases/{o['case'].pk}/parties/{o['offender'].pk}/contact/",
        POST_ONLY,
        expect(mediator=200, coordinator=200, admin=403),  # an empty form is shown again with its errors
    ),
    "mediation:meeting_new": (lambda o: f"/cases/{o['case'].pk}/meetings/new/?kind=prep_offender", TEAM, None),
    "mediation:meeting_plan": (lambda o: f"/cases/{o['case'].pk}/meetings/plan/", TEAM, None),
    "mediation:meeting": (lambda o: f"/cases/{o['case'].pk}/meetings/{o['meeting'].pk}/", VIEW, None),
    "mediation:meeting_hold": (
        lambda o: f"/cases/{o['case'].pk}/meetings/{o['meeting'].pk}/hold/",
        POST_ONLY,
        expect(mediator=200, coordinator=200, admin=403),
    ),
    "mediation:meeting_cancel": (
        lambda o: f"/cases/{o['case'].pk}/meetings/{o['meeting'].pk}/cancel/",
        POST_ONLY,
        expect(mediator=200, coordinator=200, admin=403),
    ),
    "mediation:meeting_reschedule": (
        lambda o: f"/cases/{o['case'].pk}/meetings/{o['meeting'].pk}/reschedule/",
        POST_ONLY,
        expect(mediator=200, coordinator=200, admin=403),
    ),
    "mediation:meeting_interpreter": (
        lambda o: f"/cases/{o['case'].pk}/meetings/{o['meeting'].pk}/interpreter/",
        POST_ONLY,
        expect(mediator=200, coordinator=200, admin=403),
    ),
    "mediation:prep_waive": (lambda o: f"/cases/{o['case'].pk}/preparation/waive/", TEAM, None),
    "mediation:shuttle_new": (lambda o: f"/cases/{o['case'].pk}/exchanges/new/", TEAM, None),
    "mediation:mode": (lambda o: f"/cases/{o['case'].pk}/mode/", TEAM, None),
    "mediation:time": (lambda o: f"/cases/{o['case'].pk}/time/", VIEW, None),
    # The signed-in lookup of earlier releases now opens the public page, for everyone.
    "agreements:verify_code": (lambda o: "/agreements/verify/?code=ABCD", {role: 302 for role in ROLES}, None),
    # The public verification page: no account; an empty post shows the form's errors.
    "agreements:verify": (lambda o: "/verify/?code=AAAA-AAAA-AAAA-AAAA-AAAA", EVERYONE, EVERYONE),
    "agreements:new": (
        lambda o: f"/cases/{o['case'].pk}/agreements/new/",
        POST_ONLY,
        expect(mediator=302, coordinator=302, admin=403),  # refused with a message: the case is not in agreement
    ),
    "agreements:detail": (lambda o: f"/cases/{o['case'].pk}/agreements/{o['agreement'].pk}/", VIEW, None),
    "agreements:term_new": (lambda o: f"/cases/{o['case'].pk}/agreements/{o['agreement'].pk}/terms/new/", TEAM, None),
    "agreements:term_edit": (
        lambda o: f"/cases/{o['case'].pk}/agreements/{o['agreement'].pk}/terms/{o['term'].pk}/",
        TEAM,
        None,
    ),
    "agreements:term_remove": (
        lambda o: f"/cases/{o['case'].pk}/agreements/{o['agreement'].pk}/terms/{o['term'].pk}/remove/",
        POST_ONLY,
        expect(mediator=302, coordinator=302, admin=403),
    ),
    "agreements:send": (
        lambda o: f"/cases/{o['case'].pk}/agreements/{o['agreement'].pk}/send/",
        POST_ONLY,
        expect(mediator=302, coordinator=302, admin=403),
    ),
    "agreements:redraft": (
        lambda o: f"/cases/{o['case'].pk}/agreements/{o['agreement'].pk}/redraft/",
        POST_ONLY,
        expect(mediator=302, coordinator=302, admin=403),
    ),
    "agreements:preview_pdf": (
        lambda o: f"/cases/{o['case'].pk}/agreements/{o['agreement'].pk}/preview.pdf",
        VIEW,
        None,
    ),
    "agreements:pdf": (lambda o: f"/cases/{o['case'].pk}/agreements/{o['signed'].pk}/signed.pdf", VIEW, None),
    "agreements:sign": (
        lambda o: f"/cases/{o['case'].pk}/agreements/{o['agreement'].pk}/sign/p{o['offender'].pk}/",
        TEAM,
        None,
    ),
    "agreements:amend": (lambda o: f"/cases/{o['case'].pk}/agreements/{o['signed'].pk}/amend/", TEAM, None),
    "agreements:verify_copy": (
        lambda o: f"/cases/{o['case'].pk}/agreements/{o['signed'].pk}/verify/",
        POST_ONLY,
        expect(mediator=200, coordinator=200, admin=200),
    ),
    "notifications:inbox": (lambda o: "/notifications/", SIGNED_IN, None),
    "agreements:follow_up_list": (lambda o: "/follow-up/", SIGNED_IN, None),
    "agreements:follow_up": (lambda o: f"/cases/{o['case'].pk}/agreements/{o['signed'].pk}/follow-up/", VIEW, None),
    "agreements:follow_up_record": (
        lambda o: f"/cases/{o['case'].pk}/agreements/{o['signed'].pk}/follow-up/record/payment/",
        POST_ONLY,
        expect(mediator=302, coordinator=302, admin=403),  # not in follow-up: refused with a message
    ),
    "agreements:sharing_consent": (
        lambda o: f"/cases/{o['case'].pk}/agreements/{o['signed'].pk}/consent/",
        POST_ONLY,
        expect(mediator=302, coordinator=302, admin=403),
    ),
    "agreements:follow_up_contact": (
        lambda o: f"/cases/{o['case'].pk}/agreements/{o['signed'].pk}/follow-up/contact/",
        POST_ONLY,
        expect(mediator=200, coordinator=200, admin=403),  # the empty form comes back with its errors
    ),
    "agreements:return": (lambda o: f"/cases/{o['case'].pk}/return/", COORDINATOR, None),
    # The case is not in follow-up: the page and the refused post both say so.
    "agreements:progress_report": (
        lambda o: f"/cases/{o['case'].pk}/progress-report/",
        COORDINATOR,
        expect(mediator=403, coordinator=200, admin=403),
    ),
    # The case is open: the page says why nothing can be removed.
    "agreements:party_minimise": (
        lambda o: f"/cases/{o['case'].pk}/parties/{o['victim'].pk}/minimise/",
        COORDINATOR,
        expect(mediator=403, coordinator=200, admin=403),
    ),
    # A victim's signed link to stop progress updates works without an account, the same for everyone.
    "agreements:updates_stop": (lambda o: f"/updates/stop/{o['stop_token']}/", EVERYONE, EVERYONE),
    "agreements:letter": (lambda o: f"/cases/{o['case'].pk}/letters/{o['letter'].pk}.pdf", VIEW, None),
    # A party's survey link works without an account, the same for everyone; an empty post shows the form's errors.
    "surveys:answer": (lambda o: f"/survey/{o['survey_token']}/", EVERYONE, EVERYONE),
    "surveys:thanks": (lambda o: "/survey/thanks/", EVERYONE, None),
    "healthz": (lambda o: "/healthz", EVERYONE, None),
    "login": (lambda o: "/accounts/login/", {**{r: 302 for r in ROLES}, "anonymous": 200}, None),
    "logout": (lambda o: "/accounts/logout/", {r: 405 for r in ROLES}, None),  # POST signs out: tests/vom/test_auth
    "password_change": (lambda o: "/accounts/password_change/", SIGNED_IN, None),
    "password_change_done": (lambda o: "/accounts/password_change/done/", SIGNED_IN, None),
    "password_reset": (lambda o: "/accounts/password_reset/", EVERYONE, None),
    "password_reset_done": (lambda o: "/accounts/password_reset/done/", EVERYONE, None),
    "password_reset_confirm": (lambda o: "/accounts/reset/MQ/bad-token/", EVERYONE, None),
    "password_reset_complete": (lambda o: "/accounts/reset/done/", EVERYONE, None),
    # Two-factor sign-in: force_login verifies the session of whoever owes a code (tests/conftest.py), so
    # here nobody owes one; tests/vom/test_two_factor.py walks these URLs for a session that does.
    "users:two_factor": (lambda o: "/accounts/two-factor/", SIGNED_IN, None),
    "users:two_factor_verify": (
        lambda o: "/accounts/two-factor/code/",
        {**{r: 302 for r in ROLES}, "anonymous": "login"},
        None,
    ),
    "users:two_factor_setup": (lambda o: "/accounts/two-factor/set-up/", SIGNED_IN, None),
    "users:two_factor_backup_codes": (
        lambda o: "/accounts/two-factor/backup-codes/",
        SIGNED_IN,
        {**{r: 302 for r in ROLES}, "anonymous": "login"},
    ),
    "users:two_factor_turn_off": (lambda o: "/accounts/two-factor/turn-off/", POST_ONLY, SIGNED_IN),
}
# Django admin guards itself (staff only): tests/vom/test_admin.py.
EXEMPT_NAMESPACES = {"admin"}


def walk(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            if ns in EXEMPT_NAMESPACES:
                continue
            yield from walk(entry, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_url_has_an_access_entry():
    missing = sorted(set(walk()) - set(ACCESS))
    assert missing == [], f"add these URL names to ACCESS: {missing}"


# Program-level pages and the policy action that opens each (cases/policies.py): the matrix above must
# say what the policy says, so a page cannot quietly grow its own rule.
PROGRAM_PAGES = {
    "cases:intake": "intake",
    "cases:export": "export",
    "cases:outcome_checks": "record_outcome_check",
    "reports:dashboard": "view_reports",
    "reports:outcomes": "view_reports",
    "reports:outcomes_csv": "view_reports",
    "reports:outcomes_pdf": "view_reports",
}


def test_every_program_action_has_its_pages():
    assert set(PROGRAM_PAGES.values()) == PROGRAM_ACTIONS
    with pytest.raises(ValueError, match="unknown program action"):
        program_scope(None, "withdraw")


@pytest.mark.django_db
def test_program_pages_answer_as_the_program_policy_says(users):
    for name, action in PROGRAM_PAGES.items():
        for role, user in users.items():
            if user is None:
                continue
            reached = programs_for(user, action).exists()
            assert (ACCESS[name][1][role] == 200) == reached, (name, role)
            if action != "view_reports":
                assert set(programs_for(user, action).values_list("pk", flat=True)) == program_scope(user, action)


@pytest.fixture
def users(no_role_user, mediator, unassigned_mediator, coordinator, other_coordinator, admin_user):
    return {
        "anonymous": None,
        "no_role": no_role_user,
        "mediator": mediator,
        "unassigned_mediator": unassigned_mediator,
        "coordinator": coordinator,
        "other_coordinator": other_coordinator,
        "admin": admin_user,
    }


@pytest.fixture
def objects(case, mediator):
    return build_objects(case, mediator)


def build_objects(case, mediator):
    """One of each record the URLs point at (tests/vom/test_two_factor.py walks them too)."""
    from django.core.files.base import ContentFile

    from agreements.models import Agreement, Letter, Term
    from tests.factories import MeetingFactory

    offender = case.parties.get(role="offender")
    meeting = MeetingFactory(case=case, created_by=mediator)
    signed = Agreement.objects.create(
        case=case, number=1, status="signed", verification_code="AAAA", created_by=mediator
    )
    signed.pdf.save("signed.pdf", ContentFile(b"%PDF-1.4 stored copy %%EOF"))
    agreement = Agreement.objects.create(case=case, number=2, created_by=mediator, amends=signed)
    term = Term.objects.create(
        agreement=agreement, kind="apology", responsible=offender, description="Letter", due_date=case.referral_date
    )
    from cases.models import OutcomeCheck

    check = OutcomeCheck.objects.create(case=case, months=6, due_on=case.referral_date)
    letter = Letter(case=case, agreement=signed, kind="completion", pdf_sha256="x", created_by=mediator)
    letter.pdf.save("letter.pdf", ContentFile(b"%PDF-1.4 letter %%EOF"))
    from django.utils import timezone

    from surveys.models import VALID_FOR, SurveyInvitation
    from surveys.tokens import invitation_token, new_nonce

    now = timezone.now()
    invitation = SurveyInvitation.objects.create(case=case, party=offender, occasion="joint_session", nonce=new_nonce(),
                                                 created_at=now, expires_at=now + VALID_FOR)  # fmt: skip
    from agreements.victim_updates import stop_token

    victim = case.parties.get(role="victim")
    return {
        "case": case, "offender": offender, "meeting": meeting, "agreement": agreement, "term": term, "signed": signed,
        "letter": letter, "check": check, "survey_token": invitation_token(invitation), "victim": victim,
        "stop_token": stop_token(victim),
    }  # fmt: skip


def check(response, expected):
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    else:
        assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_get_access(client, users, objects, name, role):
    build, expected, _ = ACCESS[name]
    if users[role] is not None:
        client.force_login(users[role])
    check(client.get(build(objects)), expected[role])


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, (_, _, post) in ACCESS.items() if post))
@pytest.mark.parametrize("role", ROLES)
def test_post_access(client, users, objects, name, role):
    build, _, expected = ACCESS[name]
    if users[role] is not None:
        client.force_login(users[role])
    check(client.post(build(objects), {}), expected[role])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("cases:edit", "unassigned_mediator"),
        ("cases:close", "other_coordinator"),
        ("mediation:assign", "other_coordinator"),
        ("cases:party_add", "unassigned_mediator"),
        ("mediation:mode", "no_role"),
        ("agreements:term_new", "other_coordinator"),
        ("agreements:sign", "unassigned_mediator"),
        ("agreements:amend", "no_role"),
    ],
)
def test_outsiders_posting_to_forms_get_404_and_change_nothing(client, users, objects, name, role):
    case = objects["case"]
    client.force_login(users[role])
    response = client.post(ACCESS[name][0](objects), {"case-version": case.version, "version": case.version})
    assert response.status_code == 404
    after = Case.objects.get(pk=case.pk)
    assert (after.version, after.stage) == (case.version, case.stage)


@pytest.mark.django_db
def test_a_meeting_of_another_case_is_404_even_for_the_team(client, case, mediator, program):
    from tests.factories import CaseFactory, MeetingFactory

    other = CaseFactory(program=program, lead_mediator=mediator, stage="preparation")
    meeting = MeetingFactory(case=other, created_by=mediator)
    client.force_login(mediator)
    assert client.get(f"/cases/{case.pk}/meetings/{meeting.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_party_of_another_case_is_404(client, case, mediator, program):
    from tests.factories import CaseFactory, PartyFactory

    other_party = PartyFactory(case=CaseFactory(program=program, lead_mediator=mediator), role="offender")
    client.force_login(mediator)
    assert client.get(f"/cases/{case.pk}/parties/{other_party.pk}/screening/").status_code == 404
    assert client.get(f"/cases/{case.pk}/parties/{other_party.pk}/edit/").status_code == 404


@pytest.mark.django_db
def test_visible_to_scopes_cases_by_role(
    case, mediator, unassigned_mediator, coordinator, other_coordinator, admin_user
):
    from tests.factories import CaseFactory

    other = CaseFactory(program=other_coordinator.memberships.get().program)
    assert set(Case.objects.visible_to(mediator)) == {case}
    assert set(Case.objects.visible_to(unassigned_mediator)) == set()
    assert set(Case.objects.visible_to(coordinator)) == {case}
    assert set(Case.objects.visible_to(other_coordinator)) == {other}
    assert set(Case.objects.visible_to(admin_user)) == {case, other}


@pytest.mark.django_db
def test_a_mediator_who_leaves_the_program_loses_sight_of_its_cases(case, mediator):
    mediator.memberships.all().delete()
    assert not Case.objects.visible_to(mediator).exists()


@pytest.mark.django_db
def test_a_deactivated_user_sees_nothing(case, coordinator):
    coordinator.is_active = False
    assert not Case.objects.visible_to(coordinator).exists()


@pytest.mark.django_db
def test_co_mediator_sees_the_case(case, unassigned_mediator):
    case.co_mediator = unassigned_mediator
    case.save()
    assert list(Case.objects.visible_to(unassigned_mediator)) == [case]


@pytest.mark.django_db
def test_victim_contact_details_are_shown_to_the_case_team_only(client, case, mediator, coordinator, admin_user):
    for user, shown in ((mediator, True), (coordinator, True), (admin_user, False)):
        client.force_login(user)
        body = client.get(f"/cases/{case.pk}/").content.decode()
        assert ("victim@example.org" in body) is shown
        assert ("12 Hidden Lane" in body) is shown


# Posted by the SMS provider, which holds no CSRF token: its request signature is checked instead
# (tests/notifications/test_texts.py refuses unsigned and wrongly signed posts).
SIGNED_BY_PROVIDER = {"cases:text_inbound"}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(ACCESS) - SIGNED_BY_PROVIDER))
def test_every_url_refuses_a_post_without_a_csrf_token(users, objects, name):
    from django.test import Client

    from vom.audit.models import AuditEvent

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["coordinator"])
    response = client.post(ACCESS[name][0](objects), {"version": objects["case"].version, "body": "x"})
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert not AuditEvent.objects.filter(action="change").exists()


@pytest.mark.django_db
def test_a_mediators_visibility_is_a_condition_the_mediator_indexes_can_answer(case, mediator, coordinator):
    # OR'ed with a coordinator branch, the mediator's condition forced a scan of every case.
    sql = str(Case.objects.visible_to(mediator).query)
    assert "lead_mediator_id" in sql and "co_mediator_id" in sql
    where = sql.split(" WHERE ", 1)[1]
    assert where.startswith('("cases_case"."program_id" IN (') and "cases_membership" not in where
    assert where.count(" OR ") == 1  # only lead OR co: no branch for programs they coordinate (none)
    assert list(Case.objects.visible_to(mediator)) == [case]
    coordinator_where = str(Case.objects.visible_to(coordinator).query).split(" WHERE ", 1)[1]
    assert coordinator_where.startswith(f'"cases_case"."program_id" IN ({case.program_id}) ORDER BY')
