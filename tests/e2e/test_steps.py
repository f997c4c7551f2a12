"""How many pages a volunteer loads, and how many fields they fill, for the two everyday paths.

- A coordinator takes a referral and assigns it: at most 3 page loads (the referral form, the assignment it
  leads straight to, the case).
- A mediator takes a screened case to a held joint session: at most 6 page loads. One page schedules both
  sides' preparation and the joint session (the invited side ticked, the usual place, the program's session
  length); after recording a meeting, the next one to record follows; the stages move by themselves.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.demo import DEMO_PROGRAM_SLUG
from cases.models import Case, Program
from cases.services import case_advance
from tests.e2e.test_pipeline import local, sign_in, staff  # noqa: F401 (staff: the demo program and its people)
from tests.mediation.helpers import assign, new_case, screen_everyone
from vom.users.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Steps:
    """Counts the documents the browser loads and the fields the person fills in."""

    def __init__(self, page):
        self.page, self.loads, self.fields = page, 0, 0
        page.on("load", self._loaded)

    def _loaded(self, _page):
        self.loads += 1

    def start(self):
        self.loads = self.fields = 0

    def fill(self, locator, value: str):
        locator.fill(value)
        self.fields += 1

    def choose(self, locator, **option):
        locator.select_option(**option)
        self.fields += 1

    def tick(self, locator):
        locator.check()
        self.fields += 1


def test_intake_and_assignment_take_three_page_loads(page, staff):  # noqa: F811
    steps = Steps(page)
    today = datetime.date.today()
    sign_in(page, "coordinator")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    steps.start()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New referral").click()
    steps.choose(page.locator("#id_case-referral_source"), label="Youth Diversion Program")
    steps.fill(page.locator("#id_case-referral_date"), (today - datetime.timedelta(days=3)).isoformat())
    steps.choose(page.locator("#id_case-referral_type"), value="diversion")
    steps.choose(page.locator("#id_case-offense_category"), value="property")
    steps.fill(page.locator("#id_case-incident_date"), (today - datetime.timedelta(days=20)).isoformat())
    steps.fill(page.locator("#id_offender-first_name"), "Rowan")
    steps.fill(page.locator("#id_offender-last_name"), "Hale")
    steps.fill(page.locator("#id_offender-date_of_birth"), "1994-05-02")
    steps.fill(page.locator("#id_victim-first_name"), "Iris")
    steps.fill(page.locator("#id_victim-last_name"), "Moreau")
    page.get_by_role("button", name="Create case").click()
    case = Case.objects.get(parties__person__last_name="Hale")
    expect(page.get_by_role("heading", name=f"Assign mediators — case {case.number}")).to_be_visible()
    steps.choose(page.get_by_label("Lead mediator"), label="Grace Okafor")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator(".subhead .stage")).to_contain_text("Screening")
    print(f"intake + assignment: {steps.loads} page loads, {steps.fields} fields filled")
    assert steps.loads <= 3, steps.loads
    assert steps.fields <= 11, steps.fields


def test_screened_to_held_joint_session_takes_at_most_six_page_loads(page, staff, screenshot):  # noqa: F811
    program = Program.objects.get(slug=DEMO_PROGRAM_SLUG)
    Program.objects.filter(pk=program.pk).update(usual_meeting_place="Riverbend program office")
    coordinator, mediator = User.objects.get(username="coordinator"), User.objects.get(username="mediator")
    case = assign(new_case(program, coordinator), coordinator, mediator)
    screen_everyone(case, mediator)
    assert [m.name for m in case_advance(case=case, actor=mediator)] == ["begin_preparation"]
    steps = Steps(page)
    sign_in(page, "mediator")
    page.goto(f"/cases/{case.pk}/")
    expect(page.locator(".subhead .stage")).to_contain_text("Preparation")
    steps.start()

    # One page schedules what the case still needs, filled in as the program usually does.
    page.get_by_role("link", name="Schedule meetings").click()
    offender_prep = page.get_by_role("group", name="Preparation meeting, offender side", exact=True)
    expect(offender_prep.get_by_label("Kai Lopez (offender)")).to_be_checked()
    expect(offender_prep.get_by_text("Ana Price")).to_have_count(0)  # the victim is not at the offender's meeting
    joint = page.get_by_role("group", name="Joint session", exact=True)
    expect(joint.get_by_label("Duration minutes")).to_have_value("120")
    expect(joint.get_by_label("Place")).to_have_value("Riverbend program office")
    now = timezone.now()
    yesterday = now - datetime.timedelta(days=1)
    for label, when in (("Preparation meeting, offender side", yesterday),
                        ("Preparation meeting, victim side", yesterday + datetime.timedelta(hours=2)),
                        ("Joint session", now - datetime.timedelta(hours=3))):  # fmt: skip
        steps.fill(page.get_by_role("group", name=label, exact=True).get_by_label("Date and time"), local(when))
    screenshot("1-schedule-meetings")
    page.get_by_role("button", name="Schedule the meetings").click()

    # Each meeting that has begun is recorded in turn, the invited already ticked; the next one follows.
    for kind in ("Preparation meeting, offender side", "Preparation meeting, victim side"):
        expect(page.get_by_role("heading", name=kind)).to_be_visible()
        expect(page.get_by_role("group", name="Who attended").get_by_role("checkbox").first).to_be_checked()
        if kind.endswith("offender side"):
            expect(page.get_by_role("group", name="Who attended")).not_to_contain_text("Ana Price")
        page.get_by_role("button", name="Record as held").click()
    expect(page.locator(".messages")).to_contain_text("Moved to joint session because both sides are prepared")
    expect(page.get_by_role("heading", name="Joint session")).to_be_visible()
    steps.tick(page.get_by_label("Agreement reached"))
    page.get_by_role("button", name="Record as held").click()
    expect(page.locator(".messages")).to_contain_text("Moved to agreement because the mediation reached an agreement.")
    screenshot("2-agreement-reached")
    print(f"screened to held joint session: {steps.loads} page loads, {steps.fields} fields filled")
    assert Case.objects.get(pk=case.pk).stage == Case.Stage.AGREEMENT
    assert steps.loads <= 6, steps.loads
    assert steps.fields <= 4, steps.fields
