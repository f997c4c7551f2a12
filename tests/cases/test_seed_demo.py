from io import StringIO

import pytest
from django.core.management import call_command

from cases.models import Case, Membership, Party, Person
from vom.users.models import User


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_creates_program_staff_and_cases_in_every_stage():
    output = seed()
    assert "Cases: 40 created, 40 in all" in output
    for username in ["admin", "coordinator", "mediator", "mediator2", "mediator3"]:
        assert f"  {username} " in output
        assert User.objects.get(username=username).check_password("mediate-2026")
    assert User.objects.get(username="admin").is_superuser
    assert Membership.objects.filter(role="mediator").count() == 3
    assert set(Case.objects.values_list("stage", flat=True)) == set(Case.Stage.values)


@pytest.mark.django_db
def test_seed_is_safe_to_run_twice():
    seed()
    before = (Case.objects.count(), Party.objects.count(), Person.objects.count(), User.objects.count())
    output = seed()
    assert "Cases: 0 created, 40 in all" in output
    assert (
        Case.objects.count(),
        Party.objects.count(),
        Person.objects.count(),
        User.objects.count(),
    ) == before


@pytest.mark.django_db
def test_seed_is_deterministic():
    """The same seed and day give the same cases and people (each case comes from its index alone)."""
    from datetime import date

    from cases.demo import DEMO_PROGRAM_SLUG, _build_case
    from cases.models import Program, ReferralSource

    seed()
    program = Program.objects.get(slug=DEMO_PROGRAM_SLUG)
    sources = {s.name: s for s in ReferralSource.objects.filter(program=program)}
    mediators = list(User.objects.filter(memberships__role="mediator").order_by("username"))

    def describe(index):
        case, parties = _build_case(index, 40, 2026, date(2026, 11, 26), program, sources, mediators)
        people = [(p.first_name, p.last_name, p.organisation_name, p.date_of_birth, role) for p, role, *_ in parties]
        return (case.stage, case.referral_date, case.offense_description, case.lead_mediator_id, people)

    assert [describe(i) for i in range(40)] == [describe(i) for i in range(40)]
    assert describe(3) != describe(4)


@pytest.mark.django_db
def test_seeded_cases_are_coherent():
    seed("--cases", "300")
    assert Case.objects.count() == 300
    for case in Case.objects.prefetch_related("parties__person", "parties__related_party"):
        roles = [p.role for p in case.parties.all()]
        assert roles.count("offender") == 1
        assert roles.count("victim") == 1
        offender = next(p for p in case.parties.all() if p.role == "offender")
        age_days = (case.incident_date - offender.person.date_of_birth).days
        if age_days < 18 * 365:
            guardian = next(p for p in case.parties.all() if p.role == "guardian")
            assert guardian.related_party == offender
        assert (case.stage == "closed") == bool(case.outcome)
        assert (case.stage == "referred") == (case.lead_mediator_id is None)
        assert case.referral_date >= case.incident_date
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))


@pytest.mark.django_db
def test_seed_gives_the_demo_admin_and_coordinator_the_printed_authenticator_key(client, settings):
    from base64 import b32decode

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cases.demo import DEMO_TOTP_SECRET

    output = seed("--cases", "0")
    assert "Two-factor sign-in: after the password, admin and coordinator are asked for a 6-digit code." in output
    devices = TOTPDevice.objects.filter(confirmed=True)
    assert sorted(devices.values_list("user__username", flat=True)) == ["admin", "coordinator"]
    assert {d.bin_key for d in devices} == {b32decode(DEMO_TOTP_SECRET)}
    assert "VOMD EMOT OTPS ECRE TFOR TRYI NGIT OUT2" in output
    assert f"otpauth://totp/VOM%20Case%20Manager%3Ademo?secret={DEMO_TOTP_SECRET}" in output
    assert "manage.py totp_code coordinator" in output
    assert "  coordinator  mediate-2026   Coordinator  then a 6-digit code" in output
    assert "  mediator     mediate-2026   Mediator\n" in output

    # What the printed text tells a newcomer to do works: password, then the code totp_code prints.
    settings.DEBUG = True
    code = StringIO()
    call_command("totp_code", "coordinator", stdout=code)
    response = client.post("/accounts/login/", {"username": "coordinator", "password": "mediate-2026"})
    assert client.get(response["Location"])["Location"].startswith("/accounts/two-factor/code/")
    assert client.post("/accounts/two-factor/code/", {"code": code.getvalue().split()[0]}).status_code == 302
    assert client.get("/cases/").status_code == 200

    seed("--cases", "0")  # twice: still one device each
    assert TOTPDevice.objects.count() == 2


@pytest.mark.django_db
def test_seed_never_gives_the_public_demo_key_to_an_account_that_already_existed():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    User.objects.create_user(username="coordinator", password="their-own-password-1")
    output = seed("--cases", "0")
    assert not TOTPDevice.objects.filter(user__username="coordinator").exists()
    assert "Two-factor sign-in: after the password, admin is asked for a 6-digit code." in output


def fingerprint():
    """What a seed made: case numbers, stages, parties, meetings, agreements and the number counters."""
    from agreements.models import Agreement
    from cases.models import CaseNumberCounter
    from mediation.models import Meeting

    cases = Case.objects.order_by("number").values_list("number", "stage", "referral_date", "juvenile")
    return (
        list(cases),
        sorted(Party.objects.values_list("case__number", "role", "person__last_name")),
        sorted(Meeting.objects.values_list("case__number", "kind", "status", "scheduled_for")),
        sorted(Agreement.objects.values_list("case__number", "status")),
        sorted(CaseNumberCounter.objects.values_list("year", "last_value")),
    )


@pytest.mark.django_db(transaction=True)
def test_a_bulk_seed_in_parallel_processes_makes_the_same_cases_as_one_process(monkeypatch):
    """The bulk seed shares its batches among processes; the batches take their case numbers
    in order, so the data set is the one a single process makes (numbers, stages, parties, records)."""
    from django.db import connection

    from cases import demo
    from tests.conftest import require

    require(connection.vendor == "postgresql", "parallel seeding is PostgreSQL's (SQLite takes one writer at a time)")
    monkeypatch.setattr(demo, "BATCH", 25)

    seed("--cases", "120", "--workers", "1")
    serial = fingerprint()
    call_command("flush", "--no-input")
    out, terminal = StringIO(), Terminal()
    call_command("seed_demo", "--cases", "120", "--workers", "3", stdout=out, stderr=terminal)
    assert "Cases: 120 created, 120 in all" in out.getvalue()
    assert "120/120" in terminal.getvalue()  # the children's batches, counted by the parent
    assert fingerprint() == serial
    assert len(serial[0]) == 120 and any(stage == "closed" for _, stage, _, _ in serial[0])


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.django_db(transaction=True)
def test_a_bulk_seed_stopped_midway_resumes_and_makes_the_same_cases(monkeypatch, workers):
    """A seed that stops midway (here the database refuses the cases after the 50th, as a full disk or a
    killed server would) keeps whole batches only, and the first ones; run again, it makes the missing
    cases, numbered as an uninterrupted seed numbers them, and no case twice."""
    from django.core.management.base import CommandError
    from django.db import DatabaseError, connection

    from cases import demo
    from tests.conftest import require

    require(connection.vendor == "postgresql", "the stop is a PostgreSQL trigger")
    monkeypatch.setattr(demo, "BATCH", 25)
    seed("--cases", "120", "--workers", "1")
    uninterrupted = fingerprint()
    call_command("flush", "--no-input")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION test_refuse_cases() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (SELECT count(*) FROM cases_case) >= 50 THEN RAISE EXCEPTION 'no room for more cases'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_refuse_cases BEFORE INSERT ON cases_case
                FOR EACH ROW EXECUTE FUNCTION test_refuse_cases();
            """
        )
    try:
        with pytest.raises((CommandError, DatabaseError)):  # a child's error, or the single process's own
            call_command("seed_demo", "--cases", "120", "--workers", workers, stdout=StringIO(), stderr=StringIO())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_refuse_cases ON cases_case; DROP FUNCTION test_refuse_cases();")
    stopped = fingerprint()
    assert 0 < len(stopped[0]) < 120 and len(stopped[0]) % 25 == 0  # whole batches
    assert set(stopped[0]) <= set(uninterrupted[0])  # numbered as in the uninterrupted seed

    output = seed("--cases", "120", "--workers", workers)
    assert f"Cases: {120 - len(stopped[0])} created, 120 in all" in output
    assert fingerprint() == uninterrupted


@pytest.mark.django_db
def test_the_small_demo_tells_the_hard_stories():
    """A plan renegotiated after missed payments, two offenders, a victim who declined, a victim kept informed."""
    from agreements.ledger import case_ledger
    from agreements.models import AgreementDefault, Letter
    from vom.notifications.models import Notification

    seed()
    amended = Case.objects.get(agreements__number=2)
    ledger = case_ledger(amended)
    assert ledger.amended and ledger.agreed == 600 and ledger.received > 200 and ledger.outstanding > 0
    assert AgreementDefault.objects.filter(agreement__case=amended).exists()
    assert amended.parties.get(role="victim").victim_updates
    assert Notification.objects.filter(template="victim_update", case_id=amended.pk).exists()
    two = next(c for c in Case.objects.filter(stage="follow_up") if c.parties.filter(role="offender").count() == 2)
    assert sorted(p.completed for p in case_ledger(two).offenders) == [False, True]
    declined = Case.objects.filter(outcome="declined", parties__role="victim",
                                   parties__screenings__outcome="declined").first()  # fmt: skip
    assert declined is not None and Letter.objects.filter(case=declined, kind="closure").exists()
    assert set(Letter.objects.values_list("case__stage", flat=True)) == {"closed"}
    assert Letter.objects.count() == Case.objects.filter(stage="closed").count()  # every closure wrote one


class Terminal(StringIO):
    """A stream that says it is a terminal, as a person's shell is: the progress bar is drawn only there."""

    def isatty(self):
        return True


@pytest.mark.django_db
def test_seed_shows_a_progress_bar_on_a_terminal_and_the_summary_everywhere():
    terminal, out = Terminal(), StringIO()
    call_command("seed_demo", "--cases", "12", stdout=out, stderr=terminal)
    bar = terminal.getvalue()
    assert "Seeding cases" in bar
    assert "100%" in bar and "12/12" in bar
    assert "Cases: 12 created, 12 in all" in out.getvalue()


@pytest.mark.django_db
def test_seed_draws_no_bar_into_a_log():
    log = StringIO()
    call_command("seed_demo", "--cases", "3", stdout=StringIO(), stderr=log)
    assert log.getvalue() == ""


@pytest.mark.django_db
def test_the_demo_says_what_its_texts_did(settings, tmp_path):
    import re

    from vom.notifications.models import Notification

    folder = tmp_path / "sms"
    settings.SMS_URL = f"file://{folder}"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the README's first command: no broker, so the demo plays beat once
    output = seed()
    texts = Notification.objects.filter(channel="sms")
    assert texts.exists(), "the demo's parties who prefer the phone agreed to texts"
    sent = int(re.search(r"Texts: (\d+) written under var/sms/", output).group(1))
    assert sent == texts.filter(status="sent").count() == len(list(folder.glob("*.txt")))
    waiting = texts.filter(status="pending").count()
    assert (f"; {waiting} waiting, the next at " in output) == bool(waiting)
