"""A party answers the satisfaction survey on a phone, from the emailed link, without an account."""

import pytest
from django.core import mail

from surveys.models import SurveyResponse
from surveys.questions import QUESTIONS
from surveys.services import survey_invitations_plan
from tests.agreements.helpers import case_in_agreement
from tests.e2e.conftest import ARTIFACTS
from vom.notifications.services import notifications_dispatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def survey_path(program, coordinator, mediator, settings, live_server):
    settings.SITE_URL = live_server.url
    case = case_in_agreement(program, coordinator, mediator)
    victim = case.parties.get(role="victim")
    victim.consent_to_contact, victim.contact_method = True, "email"
    victim.save()
    survey_invitations_plan()
    notifications_dispatch()
    message = next(m for m in mail.outbox if "How was your mediation?" in m.subject)
    link = next(line.strip() for line in message.body.splitlines() if "/survey/" in line)
    return link.removeprefix(live_server.url)


@pytest.fixture
def phone(browser, live_server, request):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shot(step):
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{step}.png"), full_page=True)

    yield page, shot, problems
    context.close()


def test_a_party_answers_the_survey_on_a_phone(phone, survey_path):
    page, shot, problems = phone
    page.goto(survey_path)
    page.get_by_role("heading", name="How was your mediation?").wait_for()
    shot("1-open")
    page.set_viewport_size({"width": 1024, "height": 768})  # and on a computer, each answer is spelled out
    assert page.get_by_text("Neither agree nor disagree").first.is_visible()
    shot("1-open-desktop")
    page.set_viewport_size(PHONE)
    # Fits the phone: nothing scrolls sideways, and every answer is a comfortable tap target.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for box in [label.bounding_box() for label in page.locator(".scale label, .scale__skip label").all()]:
        assert box["height"] >= 44 and box["width"] >= 44, box

    page.get_by_role("button", name="Send my answers").tap()  # nothing chosen yet
    page.get_by_role("alert").wait_for()
    assert page.locator(".question--error").count() == 5
    shot("2-errors")

    answers = {"fair": "5", "satisfied": "4", "safe": "5", "heard": "3", "recommend": None}
    for field, text in QUESTIONS:
        group = page.get_by_role("group", name=text)
        if answers[field] is None:
            group.get_by_text("Prefer not to say", exact=True).tap()
            assert group.get_by_label("Prefer not to say").is_checked()
        else:
            group.locator(".scale__value", has_text=answers[field]).tap()
            assert group.locator(f'input[value="{answers[field]}"]').is_checked()
    page.get_by_label("Anything else you would like to tell us?").fill("Nervous at first, then glad I came.")
    shot("3-answered")
    page.get_by_role("button", name="Send my answers").tap()
    page.get_by_role("heading", name="Thank you").wait_for()
    shot("4-thanks")

    saved = SurveyResponse.objects.get()
    assert (saved.respondent_role, saved.fair, saved.satisfied, saved.safe, saved.heard, saved.recommend) == (
        "victim", 5, 4, 5, 3, None,
    )  # fmt: skip
    assert saved.comment == "Nervous at first, then glad I came."

    page.goto(survey_path)  # the link works once
    page.get_by_role("heading", name="This link is no longer valid").wait_for()
    shot("5-used")
    # No CSP violation, no script error; the only complaint is the used link's own 410.
    assert [p for p in problems if "status of 410" not in p] == []
