"""HTML the case page writes in Python or keeps per process must be what its templates wrote: same markup, every
value escaped."""

import re
from datetime import UTC, datetime

from django.template import Context, Template

from cases.forms import NoteForm
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
