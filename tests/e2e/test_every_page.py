"""Every page a person uses, on the demo data, at a phone's width and through axe-core.

Each role walks its pages in Chromium with the app's real Content-Security-Policy: a page fails when
the document is wider than the 360 px viewport (sideways scrolling) or when axe-core reports any
violation, whatever its impact. Django admin pages are walked too. The walk is checked against the
URLconf, so a new page must be added here (or named as not a page: a download, a POST-only action).
"""

from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from agreements.models import Agreement
from cases.models import Case, OutcomeCheck
from mediation.models import Meeting
from tests.cases.test_access import walk
from tests.e2e.conftest import ARTIFACTS, PHONE
from tests.e2e.test_pipeline import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 768, "height": 1024}

# URL names that are not pages a person reads: downloads, POST-only actions, redirects.
NOT_PAGES = {
    "cases:export", "reports:outcomes_csv", "reports:outcomes_pdf", "cases:note_add", "cases:move",
    "mediation:contact_add", "mediation:meeting_hold", "mediation:meeting_cancel", "mediation:meeting_reschedule",
    "mediation:meeting_interpreter",
    "mediation:meeting_ics", "agreements:verify_code", "agreements:new", "agreements:term_remove", "agreements:send",
    "agreements:redraft", "agreements:preview_pdf", "agreements:pdf", "agreements:verify_copy",
    "agreements:follow_up_record", "agreements:sharing_consent", "agreements:follow_up_contact", "agreements:letter",
    "healthz", "logout", "users:two_factor_verify", "users:two_factor_turn_off", "cases:home",
    "cases:text_inbound",  # the SMS provider's webhook: POST only, no page
}  # fmt: skip


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--password", PASSWORD, stdout=StringIO())


def first(queryset):
    found = queryset.first()
    assert found is not None, f"the demo data has no {queryset.model.__name__} for this walk"
    return found


def mediator_pages(user) -> dict[str, str]:
    cases = Case.objects.visible_to(user).order_by("pk")
    pages = {
        "cases:my": "/my/", "cases:list": "/cases/", "notifications:inbox": "/notifications/",
        "agreements:follow_up_list": "/follow-up/", "password_change": reverse("password_change"),
        "password_change_done": reverse("password_change_done"), "users:two_factor": "/accounts/two-factor/",
        "users:two_factor_setup": "/accounts/two-factor/set-up/",
        "users:two_factor_backup_codes": "/accounts/two-factor/backup-codes/",
    }  # fmt: skip
    for stage in Case.Stage:
        case = cases.filter(stage=stage).first()
        if case:
            pages[f"cases:detail {stage}"] = f"/cases/{case.pk}/"
    early = first(cases.filter(stage__in=[Case.Stage.SCREENING, Case.Stage.PREPARATION]))
    offender = early.parties.filter(role="offender").first()
    pages |= {
        "cases:party_add": f"/cases/{early.pk}/parties/add/",
        "cases:party_edit": f"/cases/{early.pk}/parties/{offender.pk}/edit/",
        "mediation:screening": f"/cases/{early.pk}/parties/{offender.pk}/screening/",
        "mediation:meeting_new": f"/cases/{early.pk}/meetings/new/?kind=prep_offender",
        "mediation:prep_waive": f"/cases/{early.pk}/preparation/waive/",
        "mediation:shuttle_new": f"/cases/{early.pk}/exchanges/new/",
        "mediation:mode": f"/cases/{early.pk}/mode/",
        "mediation:time": f"/cases/{early.pk}/time/",
    }
    # A case in preparation: the meetings it still needs, each with the program's defaults.
    preparing = first(cases.filter(stage=Case.Stage.PREPARATION).order_by("pk"))
    pages["mediation:meeting_plan"] = f"/cases/{preparing.pk}/meetings/plan/"
    meeting = first(Meeting.objects.filter(case__in=cases).order_by("pk"))
    pages["mediation:meeting"] = f"/cases/{meeting.case_id}/meetings/{meeting.pk}/"
    draft = first(Agreement.objects.filter(case__in=cases, status="draft", terms__isnull=False).order_by("pk"))
    base = f"/cases/{draft.case_id}/agreements/{draft.pk}"
    signer = draft.case.parties.filter(role="offender").first()
    pages |= {
        "agreements:detail": f"{base}/",
        "agreements:term_new": f"{base}/terms/new/",
        "agreements:term_edit": f"{base}/terms/{draft.terms.first().pk}/",
        "agreements:sign": f"{base}/sign/p{signer.pk}/",
    }
    signed = first(Agreement.objects.filter(case__in=cases, status="signed", case__stage="follow_up").order_by("pk"))
    base = f"/cases/{signed.case_id}/agreements/{signed.pk}"
    pages |= {
        "agreements:detail signed": f"{base}/",
        "agreements:follow_up": f"{base}/follow-up/",
        "agreements:amend": f"{base}/amend/",
    }
    return pages


def coordinator_pages(user) -> dict[str, str]:
    cases = Case.objects.visible_to(user).order_by("pk")
    open_case = first(cases.filter(stage=Case.Stage.SCREENING))
    closed = first(cases.filter(stage=Case.Stage.CLOSED))
    following = first(cases.filter(stage=Case.Stage.FOLLOW_UP))
    check = first(OutcomeCheck.objects.filter(case__in=cases).order_by("pk"))
    victim = closed.parties.filter(role="victim").first()
    return {
        "reports:dashboard": "/dashboard/", "reports:outcomes": "/reports/outcomes/", "cases:intake": "/cases/new/",
        "cases:list": "/cases/", "cases:outcome_checks": "/outcome-checks/",
        "cases:detail": f"/cases/{open_case.pk}/", "cases:edit": f"/cases/{open_case.pk}/edit/",
        "cases:close": f"/cases/{open_case.pk}/close/", "mediation:assign": f"/cases/{open_case.pk}/assign/",
        "cases:reopen": f"/cases/{closed.pk}/reopen/",
        "cases:outcome_check": f"/cases/{check.case_id}/outcome-checks/{check.pk}/",
        "agreements:return": f"/cases/{following.pk}/return/",
        "agreements:progress_report": f"/cases/{following.pk}/progress-report/",
        "agreements:party_minimise": f"/cases/{closed.pk}/parties/{victim.pk}/minimise/",
    }  # fmt: skip


def public_pages() -> dict[str, str]:
    from agreements.victim_updates import stop_token
    from surveys.models import SurveyInvitation
    from surveys.tokens import invitation_token

    invitation = first(SurveyInvitation.objects.filter(used_at__isnull=True).order_by("pk"))
    victim = first(Case.objects.filter(stage="follow_up").order_by("pk")).parties.filter(role="victim").first()
    signed = first(Agreement.objects.filter(status="signed").order_by("pk"))
    return {
        "login": "/accounts/login/", "password_reset": "/accounts/password_reset/",
        "password_reset_done": "/accounts/password_reset/done/",
        "password_reset_confirm": "/accounts/reset/MQ/bad-token/",
        "password_reset_complete": "/accounts/reset/done/",
        "agreements:verify": f"/verify/?code={signed.verification_code}",
        "surveys:answer": f"/survey/{invitation_token(invitation)}/", "surveys:thanks": "/survey/thanks/",
        "agreements:updates_stop": f"/updates/stop/{stop_token(victim)}/",
    }  # fmt: skip


def admin_pages(user) -> dict[str, str]:
    """The index, and each registered model's list, add form (where admins may add) and first record."""
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = {"admin:index": "/admin/"}
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        pages[f"admin:{meta.label} list"] = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        if model_admin.has_add_permission(request):
            pages[f"admin:{meta.label} add"] = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            pages[f"admin:{meta.label} change"] = reverse(
                f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk]
            )
    return pages


def slug(name: str) -> str:
    return name.replace(":", "-").replace(" ", "-")


def audit(page, name: str, path: str) -> list[str]:
    """What is wrong with one page: its answer, its width at 360 px, and every axe-core violation."""
    response = page.goto(path)
    if response is None or response.status != 200:
        return [f"{name} {path}: answered {response and response.status}"]
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        wide = page.evaluate(WIDEST)
        problems.append(f"{name} {path}: {width} px wide at 360 px ({wide})")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"too-wide-{slug(name)}.png"), full_page=True)
    problems += [f"{name} {path}: tap target {small}" for small in page.evaluate(SMALL_TARGETS)]
    page.add_script_tag(url="/__axe.js")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    for violation in result["violations"]:
        targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        problems.append(f"{name} {path}: axe {violation['id']} ({violation['impact']}) at {targets}")
    return problems


# Controls a finger presses that are smaller than 44 x 44 px. A box or radio button counts with its label
# (pressing the label presses it); a link inside running text is exempt (WCAG 2.5.5), and so is Django
# admin (admins use a desktop; its layout is Django's).
SMALL_TARGETS = """() => location.pathname.startsWith('/admin/') ? [] :
  [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')]
  .map(e => {
    const label = (e.type === 'checkbox' || e.type === 'radio') && (e.closest('label') || e.labels[0]);
    const inText = e.tagName === 'A' && getComputedStyle(e).display === 'inline'
      && e.parentElement.textContent.trim().length > e.textContent.trim().length + 3;
    const target = label ? (e.closest('.choice, .field--checkbox, .filter-bar__item--check') || label) : e;
    const box = target.getBoundingClientRect();
    return {e, box, skip: inText || !box.width || !box.height};
  })
  .filter(t => !t.skip && (t.box.width < 44 || t.box.height < 44))
  .slice(0, 5).map(t => t.e.tagName.toLowerCase() + ' "' + (t.e.textContent || t.e.name || '').trim().slice(0, 30)
    + '" ' + Math.round(t.box.width) + 'x' + Math.round(t.box.height))"""

# The deepest elements sticking out past the viewport, to say where a page is too wide.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.querySelector('*'))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')).join(', ')"""


def walk_all(page, pages: dict[str, str]) -> list[str]:
    problems = []
    for name, path in pages.items():
        problems += audit(page, name, path)
    return problems


def test_every_url_name_is_walked_or_is_not_a_page():
    # The names the walks below cover (the demo data is built in the tests themselves).
    walked = {
        "cases:my", "cases:list", "notifications:inbox", "agreements:follow_up_list", "password_change",
        "password_change_done", "users:two_factor", "users:two_factor_setup", "users:two_factor_backup_codes",
        "cases:detail", "cases:party_add", "cases:party_edit", "mediation:screening", "mediation:meeting_new",
        "mediation:meeting_plan",
        "mediation:prep_waive", "mediation:shuttle_new", "mediation:mode", "mediation:time", "mediation:meeting",
        "agreements:detail", "agreements:term_new", "agreements:term_edit", "agreements:sign", "agreements:follow_up",
        "agreements:amend", "reports:dashboard", "reports:outcomes", "cases:intake", "cases:outcome_checks",
        "cases:edit", "cases:close", "mediation:assign", "cases:reopen", "cases:outcome_check", "agreements:return",
        "agreements:progress_report", "agreements:party_minimise", "login", "password_reset", "password_reset_done",
        "password_reset_confirm", "password_reset_complete", "agreements:verify", "surveys:answer", "surveys:thanks",
        "agreements:updates_stop",
    }  # fmt: skip
    assert sorted(set(walk()) - walked - NOT_PAGES) == []


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("role", ["mediator", "coordinator", "admin", "anonymous"])
def test_every_page_fits_a_phone_and_passes_axe(audit_page, role):
    user = get_user_model().objects.filter(username=role).first()
    if role == "anonymous":
        pages = public_pages()
    else:
        sign_in(audit_page, role)
        pages = {"mediator": mediator_pages, "coordinator": coordinator_pages}.get(role, lambda u: {})(user)
        if role == "admin":
            pages |= admin_pages(user)
    problems = walk_all(audit_page, pages)
    assert problems == [], "\n".join(problems)


@pytest.mark.usefixtures("demo")
def test_screenshots_of_a_mediators_main_pages(audit_page):
    """Kept by the test run (test-artifacts/screenshots) for a person to look at, at 360 and 768 px."""
    sign_in(audit_page, "mediator")
    pages = mediator_pages(get_user_model().objects.get(username="mediator"))
    main = ["cases:my", "cases:detail preparation", "mediation:meeting_plan", "mediation:meeting", "agreements:detail",
            "agreements:sign", "agreements:follow_up"]  # fmt: skip
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for size in (PHONE, TABLET):
        audit_page.set_viewport_size(size)
        for name in main:
            assert audit_page.goto(pages[name]).status == 200
            shot = ARTIFACTS / f"every-page-{size['width']}-{slug(name)}.png"
            audit_page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 0


@pytest.mark.usefixtures("demo")
def test_the_signing_pad_fills_a_phone_held_sideways(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, "mediator")
    page.goto(mediator_pages(get_user_model().objects.get(username="mediator"))["agreements:sign"])
    hint = page.get_by_text("Turn the phone sideways for a bigger signing box.")
    assert hint.is_visible()  # held upright: the page suggests turning it
    page.set_viewport_size({"width": 740, "height": 360})
    pad = page.locator("[data-signature-pad]").bounding_box()
    assert not hint.is_visible()
    assert pad["width"] >= 740 - 40 and pad["x"] >= 0 and pad["height"] >= 180  # the width of the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 740
    page.locator("[data-signature-pad]").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "every-page-sign-landscape.png"))
    context.close()
