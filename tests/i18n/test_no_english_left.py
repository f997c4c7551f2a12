"""The guard against missing translations: everything a party reads, rendered in Spanish from the demo data,
keeps no English; and the committed catalogue is complete and in step with the code.

Two checks on each Spanish output, once the data in it (names, the program's address, case numbers, links,
codes) is taken out: no English source text of the catalogue survives (a string marked but not translated),
and no common English word is left (a string never marked for translation at all)."""

import re
import shutil
from datetime import timedelta
from html import unescape
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django.utils.html import strip_tags

from agreements import victim_updates
from agreements.demo import DEMO_INTERPRETER
from agreements.documents import agreement_pdf
from agreements.models import Agreement, Disbursement
from agreements.reminders import plan_follow_up_reminders
from cases.models import Case, Party
from mediation.models import Meeting
from mediation.reminders import CANCEL, meeting_context
from surveys.models import VALID_FOR, SurveyInvitation
from surveys.services import _invitation_email
from surveys.tokens import invitation_token, new_nonce
from tests.conftest import require
from tests.documents import pdf_text
from vom.notifications.models import Notification
from vom.notifications.services import render

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
# Words of English that are not words of Spanish: any of them left in a Spanish output is text nobody translated.
ENGLISH = set(
    "the and you your of to is was were will for with by this that are be been on at it we our they their or if "
    "from have please hello thank thanks dear case payment due agreement agreements meeting reminder signed "
    "signature signatures page date version victim offender mediator interpreter installment installments hours "
    "amount questions question answer answers link program when where who what which how survey valid "
    "contact court draft total: not yet".split()
) - {"total:"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
LINKS = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(\.[\w-]+)+")


def english_sources() -> list[str]:
    """The English text of each translated message, in pieces between its placeholders (long ones only)."""
    pieces = []
    for entry in polib.pofile(str(CATALOGUE)):
        for msgid, msgstr in [(entry.msgid, entry.msgstr), (entry.msgid_plural, "")]:
            if msgid and msgid != msgstr:
                pieces += [p.strip() for p in PLACEHOLDER.split(strip_tags(msgid)) if len(p.strip()) >= 16]
    return pieces


def visible(text: str) -> str:
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", text, flags=re.S)
    return " ".join(unescape(strip_tags(text)).split())


def without_data(text: str, data: list[str]) -> str:
    for value in sorted(data, key=len, reverse=True):
        if value:
            text = text.replace(value, " ")
    return LINKS.sub(" ", text)


def english_left(text: str, data: list[str]) -> tuple[list[str], list[str]]:
    words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z']*", without_data(text, data))}
    return sorted(s for s in english_sources() if s in text), sorted(words & ENGLISH)


def spanish_message(template: str, context: dict, name: str = "Kai") -> str:
    subject, body, html = render(Notification(template=template, context=context, name=name, language="es"))
    return " ".join([subject, body, visible(html or "")])


@pytest.fixture
def demo(db):
    """The demo program, and its renegotiated case: a Spanish-speaking offender, through an interpreter."""
    call_command("seed_demo", stdout=StringIO())
    amended = next(a for a in Agreement.objects.filter(number=2).select_related("case__program") if "es" in a.languages)
    case = amended.case
    Party.objects.filter(case=case).update(preferred_language="es", consent_to_contact=True, contact_method="email",
                                           email="party@example.org", victim_updates=True)  # fmt: skip
    return case, amended


def data_of(case: Case) -> list[str]:
    """What staff typed or the people are called: data, whatever its language."""
    program = case.program
    places = list(Meeting.objects.filter(case__program=program).values_list("location", flat=True).distinct())
    people = [str(p.person) for p in case.parties.select_related("person")]
    staff = [u.get_full_name() for u in (case.lead_mediator, case.co_mediator) if u]
    return [*people, *staff, *places, program.name, *program.address.splitlines(), program.phone, case.number,
            DEMO_INTERPRETER, "Kai", "VOM Case Manager"]  # fmt: skip


def outputs(case: Case, amended: Agreement, client) -> dict[str, str]:
    found = {}
    amended.languages = ["es"]  # the whole document in Spanish alone (the demo's own is bilingual)
    found["agreement draft PDF"] = pdf_text(agreement_pdf(amended, draft=True))
    found["agreement signed PDF"] = pdf_text(agreement_pdf(amended, draft=False))
    meeting = Meeting.objects.filter(case__program=case.program, scheduled_for__isnull=False).first()
    found["meeting reminder"] = spanish_message("meeting_reminder", meeting_context(meeting, language="es"))
    found["meeting moved"] = spanish_message("meeting_changed", meeting_context(meeting, language="es"))
    found["meeting cancelled"] = spanish_message("meeting_cancelled", meeting_context(meeting, CANCEL, "es"))
    # The follow-up planner on the day before the next installment, with everyone reading Spanish.
    due = amended.terms.get(kind="money").installments.filter(due_date__gte=timezone.localdate()).first().due_date
    plan_follow_up_reminders(now=timezone.now() + timedelta(days=(due - timezone.localdate()).days - 1))
    disbursement = Disbursement.objects.filter(term__agreement__case=case).last()
    victim_updates.victim_update_forwarded(disbursement=disbursement)
    victim_updates.victim_update_amended(agreement=amended)
    victim_updates.victim_update_returned(case=case, parties=list(case.parties.filter(role="offender")))
    for outcome in [Case.Outcome.COMPLETED, Case.Outcome.RETURNED, Case.Outcome.MIXED]:
        case.outcome, case.closed_at = outcome, timezone.now() + timedelta(minutes=len(outcome))
        victim_updates.victim_update_closed(case=case)
    for notification in Notification.objects.filter(language="es", case_id=case.pk):
        found[f"{notification.template} {notification.dedupe_key}"] = spanish_message(
            notification.template, notification.context
        )
    templates = {n.split()[0] for n in found}
    assert {"installment_due", "victim_update"} <= templates, templates
    offender = case.parties.filter(role="offender").first()
    now = timezone.now()
    invitation = SurveyInvitation.objects.create(case=case, party=offender, occasion="closure", nonce=new_nonce(),
                                                 created_at=now, expires_at=now + VALID_FOR)  # fmt: skip
    email = _invitation_email(invitation, case, offender, now)
    found["survey invitation"] = spanish_message(email.template, email.context)
    url = f"/survey/{invitation_token(invitation)}/"
    found["survey page"] = visible(client.get(url).content.decode())
    found["survey page with errors"] = visible(client.post(url, {"fair": "9"}).content.decode())
    answers = {"fair": "5", "satisfied": "4", "safe": "5", "heard": "5", "recommend": "skip", "comment": ""}
    found["survey thanks"] = visible(client.post(url, answers, follow=True).content.decode())
    found["survey answered"] = visible(client.post(url, answers).content.decode())
    found["survey no longer valid"] = visible(client.get(url).content.decode())
    stop = f"/updates/stop/{victim_updates.stop_token(case.parties.filter(role='victim').first())}/"
    found["progress updates: stop"] = visible(client.get(stop).content.decode())
    found["progress updates: stopped"] = visible(client.post(stop).content.decode())
    return found


@pytest.mark.django_db
def test_every_party_facing_output_in_spanish_keeps_no_english(demo, client):
    case, amended = demo
    data = data_of(case)
    problems = {}
    for name, text in outputs(case, amended, client).items():
        assert len(text) > 40, name
        sources, words = english_left(text, data)
        if sources or words:
            problems[name] = {"untranslated": sources, "english words": words}
    assert problems == {}


def test_the_guard_sees_english():
    """The check itself: an English sentence, or a catalogue string left in English, is caught."""
    sources, words = english_left("Su pago vence el lunes. Please contact your mediator.", [])
    assert words == ["contact", "mediator", "please", "your"]
    untranslated = "Los enlaces… Survey links work once, for 30 days. This one has been used, has expired, or is not "
    sources, _words = english_left(untranslated + "complete. Nothing was saved.", [])
    assert (
        "Survey links work once, for 30 days. This one has been used, has expired, or is not complete. "
        "Nothing was saved." in sources
    )


def test_the_committed_catalogue_is_complete():
    catalogue = polib.pofile(str(CATALOGUE))
    assert catalogue.percent_translated() == 100
    assert not [e.msgid for e in catalogue if "fuzzy" in e.flags or e.obsolete]
    compiled = polib.mofile(str(CATALOGUE.with_suffix(".mo")))
    assert {(e.msgid, e.msgstr) for e in compiled if not e.msgid_plural} == {
        (e.msgid, e.msgstr) for e in catalogue if not e.msgid_plural
    }, "django.mo is older than django.po: run manage.py compilemessages"


def test_makemessages_finds_nothing_new_to_translate(tmp_path, monkeypatch):
    """Every marked string of the code is in the committed catalogue, translated (needs gettext's xgettext).

    makemessages scans the working directory and writes to ./locale when there is one, so it runs in a tree of
    links to the source beside a copy of the catalogue: the committed file is never rewritten. A string no code
    marks is planted in the copy: that makemessages set it aside as obsolete shows the copy is the file it merged.
    """
    require(bool(shutil.which("xgettext") and shutil.which("msgmerge")), "gettext is not installed")
    skipped = {".venv", "node_modules", "tests", "staticfiles", "var", "locale", "bench", "devtools", ".git"}
    for entry in Path(settings.BASE_DIR).iterdir():
        if entry.name not in skipped:
            (tmp_path / entry.name).symlink_to(entry)
    copy = tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    planted = polib.pofile(str(CATALOGUE))
    planted.append(polib.POEntry(msgid="No code marks this string", msgstr="Ningún código marca esto"))
    planted.save(str(copy))
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=["es"], no_location=True, symlinks=True, verbosity=0)
    fresh = polib.pofile(str(copy))
    assert [e.msgid for e in fresh.obsolete_entries()] == ["No code marks this string"]
    assert [e.msgid for e in fresh.untranslated_entries()] == []
    assert [e.msgid for e in fresh.fuzzy_entries()] == []
