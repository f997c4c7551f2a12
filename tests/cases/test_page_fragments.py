"""HTML the case page writes in Python or keeps per process must be what its templates wrote: same markup, every
value escaped."""

import re
from datetime import UTC, date, datetime

from django.template import Context, Template
from django.utils import timezone
from django.utils.functional import lazy

from cases.extensions import NextAction
from cases.forms import NoteForm
from cases.models import Case, Party, Person
from cases.selectors import AccessRow, NoteRow, TimelineRow

AWKWARD = ['<script>alert("x")</script>', "Tom & Jerry's", "plain", "", "line one\nline <two>\r\nthree"]

LOOPS = Template(  # the case page's loops as they were, without the whitespace between rows
    '{% for e in timeline %}<li><time datetime="{{ e.iso }}">{{ e.when }}</time> {{ e.summary }}{% if e.actor %}'
    ' <span class="muted">— {{ e.actor }}</span>{% endif %}</li>{% endfor %}|'
    '{% for e in access_log %}<tr><td>{{ e.when }}</td><td>{{ e.username|default:"—" }}</td><td>'
    '{{ e.get_action_display }} {{ e.what }}</td><td>{{ e.ip_address|default:"—" }}</td></tr>{% endfor %}|'
    '{% for note in notes %}<li{% if note.confidential %} class="note--confidential"{% endif %}><p class="meta">'
    "{{ note.author }} · {{ note.when }}{% if note.confidential %} · <strong>Confidential</strong>{% endif %}</p>"
    "<p>{{ note.body|linebreaksbr }}</p></li>{% endfor %}"
)
TAGS = Template("{% load vom_tags %}{% timeline_items timeline %}|{% access_rows access_log %}|{% note_items notes %}")


def test_the_journals_rows_are_what_the_loops_wrote():
    at = datetime(2026, 3, 4, 9, 7, 5, tzinfo=UTC)
    context = {
        "timeline": [TimelineRow(at, actor, text, f"{text} when", f"{actor}iso") for actor in AWKWARD
                     for text in AWKWARD],
        "access_log": [AccessRow(at, name, action, text, ip, f"<{name}>") for name in AWKWARD for text in AWKWARD
                       for action in ("view", "export", "<odd>") for ip in ("", "10.0.0.1")],
        "notes": [NoteRow(at, name, text, confidential, f"{text}!") for name in AWKWARD for text in AWKWARD
                  for confidential in (True, False)],
    }  # fmt: skip
    written = TAGS.render(Context(context))
    assert written == LOOPS.render(Context(context))
    assert "<script>" not in written and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in written
    assert "line one<br>line &lt;two&gt;<br>three" in written


def _fields(html: str) -> str:
    return re.sub(r'name="form_token" value="[^"]*"', 'name="form_token" value=""', html)


def test_the_note_form_kept_is_what_its_template_writes_with_a_fresh_token_each_time(db):
    include = Template('{% include "includes/fields.html" with form=form %}')
    first, second = NoteForm(), NoteForm()
    kept = str(first.fields_html())
    assert kept.strip() == include.render(Context({"form": first})).strip()  # but the file's last newline
    again = str(second.fields_html())
    assert _fields(again) == _fields(kept) and again != kept  # the same fields, another token
    assert re.search(r'name="form_token" value="[0-9a-f-]{36}"', again)
    bound = NoteForm({"body": "<b>x</b>"})  # a bound form is written afresh: its values, its errors
    assert "&lt;b&gt;x&lt;/b&gt;" in str(bound.fields_html())


CASELOAD_LOOP = Template(  # the caseload list's loop as it was, without the whitespace between rows and cells
    '{% for row in rows %}<tr{% if row.overdue %} class="row--overdue"{% endif %}><th scope="row" class="case-number">'
    '<a href="{{ row.url }}">{{ row.number }}</a></th><td><span class="stage stage--{{ row.stage }}">'
    '{{ row.stage_label }}</span>{% if row.overdue %} <span class="badge badge--overdue">Overdue</span>{% endif %}'
    '{% if row.indirect %} <span class="badge">Indirect</span>{% endif %}</td><td>{{ row.offense }}</td>'
    '<td class="party-lines">{{ row.parties }}</td><td>{{ row.referred }}</td><td>{{ row.source }}</td>'
    "<td>{{ row.mediators }}</td></tr>{% endfor %}"
)
MY_CASES_LOOP = Template(  # the mediator's home's loop as it was
    '{% for row in rows %}{% with action=row.action %}<tr{% if row.overdue %} class="row--overdue"{% endif %}>'
    '<th scope="row"><a href="{{ row.url }}">{{ row.number }}</a></th><td><span class="stage stage--{{ row.stage }}">'
    '{{ row.stage_label }}</span>{% if row.indirect %} <span class="badge">Indirect</span>{% endif %}</td><td>'
    '{% if action %}{% if action.url %}<a href="{{ action.url }}">{{ action.label }}</a>{% else %}{{ action.label }}'
    '{% endif %}{% else %}<span class="muted">—</span>{% endif %}</td><td>{% if row.due %}{{ row.due_text }}'
    '{% if row.overdue %} <span class="badge badge--overdue">Overdue</span>{% elif row.due_today %} '
    '<span class="badge">Today</span>{% endif %}{% endif %}</td><td class="party-lines">{{ row.parties }}</td></tr>'
    "{% endwith %}{% endfor %}"
)


def test_the_lists_rows_are_what_the_loops_wrote():
    label = lazy(lambda text: text, str)  # choice labels are lazy translations
    rows = [
        {"url": f"/cases/{i}/?a=1&b={text}", "number": text or "2026-0001", "stage": stage, "stage_label": label(text),
         "overdue": overdue, "indirect": indirect, "offense": label(text), "parties": f"{text} (offender)\n{text}",
         "referred": f"{text} 4", "source": text, "mediators": f"{text}, —"}
        for i, text in enumerate(AWKWARD) for stage in ("intake", '"><x') for overdue in (True, False)
        for indirect in (True, False)
    ]  # fmt: skip
    written = Template("{% load vom_tags %}{% caseload_table_rows rows %}").render(Context({"rows": rows}))
    assert written == CASELOAD_LOOP.render(Context({"rows": rows}))
    assert "<script>" not in written and '"><x' not in written and written.count("<tr") == len(rows)

    actions = [None, NextAction(label("<b>Call</b> & plan"), None), NextAction("Plan", None, url="/x/?a=1&b=<2>")]
    rows = [
        row | {"action": action, "due": due, "due_text": f"Mon {row['number']}", "due_today": today}
        for row in rows for action in actions for due in (None, date(2026, 3, 4)) for today in (True, False)
    ]  # fmt: skip
    written = Template("{% load vom_tags %}{% my_cases_table_rows rows %}").render(Context({"rows": rows}))
    assert written == MY_CASES_LOOP.render(Context({"rows": rows}))
    assert "<script>" not in written and "<b>" not in written and written.count("<tr") == len(rows)


CONTACT_INCLUDE = (  # cases/party_contact.html as it was
    '<div class="contact">\n{% if party.consent_to_contact %}<span>Consents to be contacted{% if '
    "party.contact_method %} by {{ party.get_contact_method_display|lower }}{% endif %}</span>{% else %}"
    '<span class="muted">No consent to '
    "contact recorded{% if party.contact_method %} (prefers {{ party.get_contact_method_display|lower }}){% endif %}"
    "</span>{% endif %}\n{% if party.email %}<span>{{ party.email }}</span>{% endif %}\n{% if party.phone %}<span>"
    "{{ party.phone|phone }}</span>{% endif %}\n{% if party.texts_stopped %}<span><strong>Replied STOP</strong>: no "
    'texts</span>{% elif party.texts_consented_at %}<span>Texts since {{ party.texts_consented_at|date:"M j, Y" }}'
    "</span>{% endif %}\n{% if party.address %}<span>{{ party.address|linebreaksbr }}</span>{% endif %}\n</div>"
)
PARTIES_LOOP = Template(  # the case page's loop of parties as it was
    "{% load vom_tags %}{% for party in parties %}<li>\n<strong>{{ party.person }}</strong> — {{ "
    'party.get_role_display }}{% if party.related_party %} <span class="muted">for {{ party.related_party.person }}'
    '</span>{% endif %}\n{% if party.person.date_of_birth %}<span class="muted">· born {{ '
    'party.person.date_of_birth|date:"M j, Y" }}</span>{% endif %}\n<div class="muted">{{ '
    "party.get_preferred_language_display }}{% if party.interpreter_needed %}, <strong>interpreter needed</strong>"
    "{% endif %}{% if party.accessibility_needs %} · {{ party.accessibility_needs }}{% endif %}</div>\n{% if "
    'party.role == "victim" or party.role == "victim_rep" %}{% if perms.view_victim_contact %}'
    + CONTACT_INCLUDE
    + '{% else %}<div class="muted">Contact details are confidential.</div>{% endif %}{% else %}'
    + CONTACT_INCLUDE
    + '{% endif %}\n{% with earlier=earlier_by_person|get_item:party.person_id %}{% if earlier %}<div class="earlier">'
    "Also in: {% for other in earlier %}<a href=\"{% url 'cases:detail' other.case_id %}\">{{ other.case_number }}</a>"
    " ({{ other.get_role_display|lower }}){% if not forloop.last %}, {% endif %}{% endfor %}</div>{% endif %}"
    '{% endwith %}\n{% if perms.edit_party %}<a class="small" href="{% url \'cases:party_edit\' case.pk party.pk %}">'
    'Edit details<span class="visually-hidden"> of {{ party.person }}</span></a>{% endif %}\n</li>{% empty %}<li>No '
    "parties recorded.</li>{% endfor %}"
)
PARTIES_TAG = Template("{% load vom_tags %}{% party_items case parties perms earlier_by_person %}")


def _folded(html: str) -> str:
    """What a browser shows the same: a run of white space between or inside tags as one space."""
    return re.sub(r"\s+", " ", html)


def test_the_parties_are_what_the_loop_wrote():
    texts_at = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)  # the evening before in Chicago
    people = [Person(pk=30 + i, first_name=text, last_name="Lee", date_of_birth=born)
              for i, text in enumerate(AWKWARD) for born in (None, date(2010, 5, 6))]  # fmt: skip
    people.append(Person(pk=99, kind=Person.Kind.ORGANISATION, organisation_name="A & <B> Ltd"))
    related = Party(pk=5, person=people[0], role="offender")
    parties = []
    for i, (person, role, text, flags) in enumerate(
        (person, role, text, flags)
        for person in people for role in ("offender", "victim", "victim_rep", "guardian") for text in AWKWARD[:3]
        for flags in range(4)
    ):  # fmt: skip
        party = Party(
            pk=100 + i, person=person, role=role, related_party=related if flags & 1 else None,
            preferred_language="es" if flags & 2 else "en", interpreter_needed=bool(flags & 2),
            accessibility_needs=text, consent_to_contact=bool(flags & 1), contact_method=("", "email", "phone")[i % 3],
            email=f"{text[:3]}@example.org" if flags & 2 else "", phone="+16125550101" if flags & 1 else "",
            address=text if flags & 2 else "", texts_consented_at=texts_at if flags & 1 else None,
        )  # fmt: skip
        party.texts_stopped = flags == 3
        parties.append(party)
    earlier = Party(pk=7, person=people[0], role="victim", case_id=12)
    earlier.case_number = "2025-<0012>"
    others = {people[0].pk: [earlier, earlier], people[1].pk: [earlier]}
    with timezone.override("America/Chicago"):
        for perms in ({"view_victim_contact": True, "edit_party": True}, {}):
            for listed in ([], parties):
                context = Context({"case": Case(pk=9), "parties": listed, "perms": perms, "earlier_by_person": others})
                written = PARTIES_TAG.render(context)
                assert _folded(written) == _folded(PARTIES_LOOP.render(context))
                assert "<script>" not in written and "<B>" not in written and "<0012>" not in written
        shown = PARTIES_TAG.render(
            Context({"case": Case(pk=9), "parties": parties, "perms": {}, "earlier_by_person": {}})
        )
    assert "(612) 555-0101" in shown and "Contact details are confidential." in shown and "Edit details" not in shown
    assert "Texts since Mar 3, 2026" in written and "Replied STOP" in written and 'href="/cases/12/"' in written
