"""Drill: two people save the same record at the same moment, through gunicorn, on PostgreSQL.

Both load the form, then both submit at once (two threads released together, two gunicorn workers). Exactly
one save wins; the other is told, sees the saved values beside their own, and loses nothing: their values
are still in the form, and submitting it again saves them knowingly. The version moves once, the timeline
shows one change. Drilled on the two forms people share: a party's contact details, which the lead and
the co-mediator both edit, and the referral, which the program's coordinators edit.
"""

import html
import re
import threading

import pytest

from cases.models import Case, Party
from devtools.serve import code_step, sign_in
from tests.drills.conftest import PASSWORD, web_password
from tests.factories import MembershipFactory, UserFactory
from tests.mediation.helpers import assign, new_case
from tests.two_factor import code_for, give_authenticator

pytestmark = pytest.mark.services
ROUNDS = 3


def hidden(page, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page.text).group(1)


def submit_together(first, second) -> list:
    """Run both submissions at the same instant; return their answers in order."""
    barrier = threading.Barrier(2)
    answers = [None, None]

    def run(index, submit):
        barrier.wait()
        answers[index] = submit()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate([first, second])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def saved_table(page) -> dict[str, tuple[str, str]]:
    """The comparison table: field label -> (now saved, your version)."""
    rows = re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td><td>(.*?)</td>', page.text, re.S)
    return {html.unescape(label): (html.unescape(now), html.unescape(yours)) for label, now, yours in rows}


def race(clients, url, data_for, field, label, values, record, refresh) -> None:
    """One round: both load ``url``, both submit their own ``values`` for ``field`` at once."""
    before_version, before_events = refresh()
    pages = [client.get(url) for client in clients]
    posts = [
        lambda c=client, p=page, v=value: c.submit(url, data_for(p) | {field: v}, form_page=p)
        for client, page, value in zip(clients, pages, values, strict=True)
    ]
    answers = submit_together(*posts)
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200, 302], [(a.status, a.text[:500]) for a in answers]
    winner = next(i for i, a in enumerate(answers) if a.status == 302)
    loser = 1 - winner
    told = answers[loser]
    assert "while you were editing" in told.text
    assert saved_table(told)[label] == (values[winner], values[loser])  # both versions, side by side
    assert getattr(record(), field.removeprefix("case-")) == values[winner]
    version, events = refresh()
    assert (version, events) == (before_version + 1, before_events + 1)  # one save, one timeline entry

    # Nothing lost: the loser's values are still in the form they got back; saving it again keeps them.
    again = clients[loser].submit(url, data_for(told) | {field: values[loser]}, form_page=told)
    assert again.status == 302
    assert getattr(record(), field.removeprefix("case-")) == values[loser]


def form_values(page, prefix: str = "") -> dict:
    """What the browser would send back: every input, select and textarea of the form as loaded."""
    data = {}
    for name, value in re.findall(r'<input type="(?:text|email|date|number|hidden)" name="([^"]+)" value="([^"]*)"',
                                  page.text):  # fmt: skip
        data[name] = html.unescape(value)
    for name in re.findall(r'<input type="checkbox" name="([^"]+)"[^>]*checked', page.text):
        data[name] = "on"
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page.text, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, value in re.findall(r'<textarea name="([^"]+)"[^>]*>\n?(.*?)</textarea>', page.text, re.S):
        data[name] = html.unescape(value)
    data.pop("csrfmiddlewaretoken", None)
    return {k: v for k, v in data.items() if k.startswith(prefix)}


def test_lead_and_co_mediator_saving_contact_details_at_once(
    test_database_url, serve, program, coordinator, mediator, unassigned_mediator
):
    case = assign(new_case(program, coordinator), coordinator, mediator, co=unassigned_mediator)
    victim = case.parties.get(role="victim")
    web_password(mediator, unassigned_mediator)
    web = serve(DATABASE_URL=test_database_url, workers=2)
    lead, co = sign_in(web.base_url, mediator.username, PASSWORD), sign_in(web.base_url, "med2", PASSWORD)

    def refresh():
        return Party.objects.get(pk=victim.pk).version, case.timeline.filter(kind="edited").count()

    for n in range(ROUNDS):
        race([lead, co], f"/cases/{case.pk}/parties/{victim.pk}/edit/", form_values, "phone", "Phone",
             [f"+161255501{n}1", f"+161255502{n}2"], lambda: Party.objects.get(pk=victim.pk), refresh)  # fmt: skip


def test_two_coordinators_saving_the_referral_at_once(test_database_url, serve, program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    colleague = UserFactory(username="coord2")
    MembershipFactory(user=colleague, program=program, role="coordinator")
    web_password(coordinator, colleague)
    web = serve(DATABASE_URL=test_database_url, workers=2)
    clients = []
    for user in (coordinator, colleague):  # coordinators sign in with a code from their app
        device = give_authenticator(user)
        clients.append(
            sign_in(web.base_url, user.username, PASSWORD, second_step=code_step(lambda d=device: code_for(d)))
        )

    def refresh():
        return Case.objects.get(pk=case.pk).version, case.timeline.filter(kind="edited").count()

    for n in range(ROUNDS):
        race(clients, f"/cases/{case.pk}/edit/", lambda p: form_values(p, "case-"), "case-offense_description",
             "Offense description", [f"Round {n}: a window", f"Round {n}: a fence"],
             lambda: Case.objects.get(pk=case.pk), refresh)  # fmt: skip
