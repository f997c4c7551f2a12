"""One case from intake to a joint session that reached agreement, in a real browser.

The coordinator takes the referral (a juvenile offender with a guardian) and assigns a mediator; the
mediator screens all three parties, holds both preparation meetings and the joint session.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases.models import Case
from tests.two_factor import enter_code_if_asked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "demo-pass-2026"


@pytest.fixture
def staff(db):
    call_command("seed_demo", "--cases", "0", "--password", PASSWORD, stdout=StringIO())


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    enter_code_if_asked(page, username)  # coordinators and admins: the code from their authenticator app


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def flash(page) -> str:
    return page.locator(".messages").inner_text()


def screen_party(page, name, checks):
    page.get_by_role("link", name=f"Contact and screen {name}").click()
    page.get_by_label("Method").select_option("phone")
    page.get_by_label("Result").select_option("reached")
    page.get_by_role("button", name="Record attempt").click()
    assert "Contact attempt recorded." in flash(page)
    for label in [*checks, "Emotionally ready", "Understands that taking part is voluntary"]:
        page.get_by_label(label, exact=False).check()
    page.get_by_label("Consent given on").fill(datetime.date.today().isoformat())
    page.get_by_label("Suitable", exact=True).check()
    page.get_by_role("button", name="Record screening").click()
    assert f"Screening of {name} recorded." in flash(page)


def plan_meetings(page, meetings):
    """From the case page: schedule several meetings on one page; ``meetings`` is (kind label, when, place)."""
    page.get_by_role("link", name="Schedule meetings").click()
    for label, when, place in meetings:
        group = page.get_by_role("group", name=label, exact=True)
        group.get_by_label("Date and time").fill(local(when))
        if place:
            group.get_by_label("Place").fill(place)
    page.get_by_role("button", name="Schedule the meetings").click()
    assert "Scheduled:" in flash(page)


def prep_and_joint(now):
    """Both sides prepared yesterday and the joint session three hours ago (so each can be recorded now)."""
    yesterday = now - datetime.timedelta(days=1)
    return [
        ("Preparation meeting, offender side", yesterday, "Program office"),
        ("Preparation meeting, victim side", yesterday + datetime.timedelta(hours=2), "Public library"),
        ("Joint session", now - datetime.timedelta(hours=3), "Community center"),
    ]


def test_intake_to_joint_session_in_the_browser(page, staff, screenshot):
    today = datetime.date.today()
    # --- Coordinator: intake and assignment ----------------------------------------------------
    sign_in(page, "coordinator")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New referral").click()
    page.locator("#id_case-referral_source").select_option(label="Youth Diversion Program")
    page.locator("#id_case-referral_date").fill((today - datetime.timedelta(days=10)).isoformat())
    page.locator("#id_case-referral_type").select_option("diversion")
    page.locator("#id_case-offense_category").select_option("property")
    page.locator("#id_case-incident_date").fill((today - datetime.timedelta(days=25)).isoformat())
    page.locator("#id_case-offense_description").fill("Spray-painted the back wall of the corner shop.")
    page.locator("#id_offender-first_name").fill("Jordan")
    page.locator("#id_offender-last_name").fill("Ellis")
    # The guardian's section appears as soon as the birth date makes the offender a juvenile (a small script;
    # without it the section is always there and the server's rule decides).
    guardian = page.get_by_role("heading", name="Parent or guardian")
    page.locator("#id_offender-date_of_birth").fill((today - datetime.timedelta(days=30 * 365)).isoformat())
    assert not guardian.is_visible()
    page.locator("#id_offender-date_of_birth").fill((today - datetime.timedelta(days=15 * 365)).isoformat())
    guardian.wait_for()
    page.locator("#id_victim-first_name").fill("Marta")
    page.locator("#id_victim-last_name").fill("Novak")
    page.get_by_role("button", name="Create case").click()
    # A juvenile without a guardian is refused with a message, and the form keeps what was typed.
    assert (
        "is a juvenile (under 18 on the incident date): add a parent or guardian."
        in page.get_by_role("alert").first.inner_text()
    )
    assert page.locator("#id_offender-last_name").input_value() == "Ellis"
    screenshot("1-intake-refused")
    page.locator("#id_guardian-first_name").fill("Pat")
    page.locator("#id_guardian-last_name").fill("Ellis")
    page.get_by_role("button", name="Create case").click()
    assert "created. Assign a mediator next." in flash(page)
    case = Case.objects.get()
    screenshot("2-case-created")

    # Intake goes straight on to assigning the case.
    page.get_by_role("heading", name=f"Assign mediators — case {case.number}").wait_for()
    page.get_by_label("Lead mediator").select_option(label="Grace Okafor")
    page.get_by_label("Co-mediator").select_option(label="Erik Lindqvist")
    page.get_by_role("button", name="Assign").click()
    assert "Mediators assigned." in flash(page)
    assert "Screening" in page.locator(".subhead .stage").inner_text()
    sign_out(page)

    # --- Mediator: screening, offender side first -----------------------------------------------
    sign_in(page, "mediator")
    page.get_by_role("heading", name="My cases").wait_for()
    page.get_by_role("link", name="Contact the offender Jordan Ellis").wait_for()
    screenshot("3-mediator-home")
    page.get_by_role("link", name=case.number).click()
    screen_party(page, "Jordan Ellis", ["Acknowledges responsibility", "Willing to make amends"])
    screen_party(page, "Pat Ellis", ["Agrees to the young person taking part"])
    screen_party(page, "Marta Novak", ["Willing to meet face to face"])
    # The last screening moves the case on by itself, and says why.
    assert "Moved to preparation because every party is screened suitable." in flash(page)
    screenshot("4-screened")

    # --- Preparation: one page schedules each side's meeting and the joint session; each meeting that has
    # begun is then recorded in turn, the next one's page following the last -----------------------------
    plan_meetings(page, prep_and_joint(timezone.now()))
    for kind in ("Preparation meeting, offender side", "Preparation meeting, victim side"):
        page.get_by_role("heading", name=kind).wait_for()
        page.get_by_label("What this side hopes to achieve").fill("To be heard and to put things right.")
        page.get_by_role("button", name="Record as held").click()
        assert "Meeting recorded." in flash(page)
    assert "Moved to joint session because both sides are prepared and the session is set." in flash(page)
    screenshot("5-prepared")

    # --- The joint session reaches agreement ---------------------------------------------------------
    page.get_by_role("heading", name="Joint session").wait_for()
    page.get_by_label("What happened").fill("Marta spoke first. Jordan apologised and offered to repaint the wall.")
    page.get_by_label("Agreement reached").check()
    page.get_by_role("button", name="Record as held").click()
    assert "Meeting recorded." in flash(page)
    assert "Moved to agreement because the mediation reached an agreement." in flash(page)
    screenshot("6-agreement")
    case.refresh_from_db()
    assert case.stage == Case.Stage.AGREEMENT
    assert list(case.timeline.exclude(to_stage="").order_by("at", "pk").values_list("to_stage", flat=True)) == [
        "screening", "preparation", "joint_session", "agreement",
    ]  # fmt: skip
