"""The meetings panel's rows, written in Python, must be what its include wrote: same markup, every value escaped,
times in the current time zone."""

from datetime import UTC, date, datetime

from django.template import Context, Template
from django.utils import timezone

from cases.models import Case, Party, Person
from mediation.models import Meeting, Screening
from mediation.selectors import ScreeningStatus

INCLUDE = Template(  # mediation/meeting_row.html as it was, without the whitespace between cells
    '{% load vom_tags %}{% for m in meetings %}<tr><th scope="row"><a href="{% url \'mediation:meeting\' case.pk m.pk '
    '%}">{{ m.get_kind_display }}</a>{% for warning in panel.interpreter_warnings|get_item:m.pk %}<br><strong '
    'class="warning">{{ warning }}</strong>{% endfor %}{% if m.interpreter and m.status == "scheduled" %}<br><span '
    'class="muted">Interpreter: {{ m.interpreter }}{% if m.interpreter_language %} ({{ '
    "m.get_interpreter_language_display }}){% endif %}</span>{% endif %}</th><td>{% if m.scheduled_for %}{{ "
    'm.scheduled_for|date:"D M j, Y H:i" }}{% else %}—{% endif %}</td><td>{{ m.location|default:"" }}{% if '
    'm.video_link %} (video){% endif %}</td><td><span class="status status--{{ m.status }}">{{ m.get_status_display '
    '}}</span>{% if m.outcome %}: {{ m.get_outcome_display|lower }}{% endif %}{% if m.reason %} <span class="muted">'
    "— {{ m.reason }}</span>{% endif %}</td></tr>{% endfor %}"
)
TAG = Template("{% load mediation_tags %}{% meeting_rows case meetings panel.interpreter_warnings %}")
AWKWARD = ['<script>alert("x")</script>', "Tom & Jerry's", ""]


def test_the_meeting_rows_are_what_the_include_wrote():
    at = datetime(2026, 3, 4, 3, 7, tzinfo=UTC)  # the evening before in Chicago: the row shows the local day
    meetings = [
        Meeting(pk=10 + i, kind=kind, status=status, scheduled_for=when, location=text, video_link=link,
                interpreter=text, interpreter_language=language, outcome=outcome, reason=text)
        for i, (text, kind, status, when, link, language, outcome) in enumerate(
            (text, kind, status, when, link, language, outcome)
            for text in AWKWARD for kind in ("prep_offender", "joint") for status in ("scheduled", "held", "<odd>")
            for when in (None, at) for link in ("", "https://example.org/?a=1&b=2") for language in ("", "es")
            for outcome in ("", "agreement")
        )
    ]  # fmt: skip
    warnings = {10: ["Spanish <interpreter> & more"], 11: ["one", "two"]}
    context = {"case": Case(pk=7), "meetings": meetings, "panel": {"interpreter_warnings": warnings}}
    with timezone.override("America/Chicago"):
        written = TAG.render(Context(context))
        assert written == INCLUDE.render(Context(context))
    assert "<script>" not in written and "<interpreter>" not in written and written.count("<tr>") == len(meetings)
    assert "Tue Mar 3, 2026 21:07" in written and 'href="/cases/7/meetings/10/"' in written


SCREENING_LOOP = Template(  # the screening panel's loop as it was, without the whitespace between cells
    '{% for row in panel.rows %}<tr><th scope="row">{{ row.party.person }} <span class="muted">({{ '
    "row.party.get_role_display|lower }}{% if row.juvenile %}, juvenile{% endif %})</span></th><td>{% if row.latest %}"
    '<span class="status status--{{ row.latest.outcome }}">{{ row.latest.get_outcome_display }}</span> {{ '
    'row.latest.screened_on|date:"M j" }}{% else %}<span class="muted">Not screened</span>{% endif %}</td><td>{{ '
    'row.latest.reason|default:"" }}</td><td>{% if perms.work and row.required and case.is_open %}<a href="{% url '
    "'mediation:screening' case.pk row.party.pk %}\">{% if row.latest %}Re-screen{% else %}Contact and screen{% endif "
    '%}<span class="visually-hidden"> {{ row.party.person }}</span></a>{% endif %}</td></tr>{% empty %}<tr><td '
    'colspan="4">No party needs screening.</td></tr>{% endfor %}'
)
SCREENING_TAG = Template("{% load mediation_tags %}{% screening_rows case panel.rows perms %}")


def test_the_screening_rows_are_what_the_loop_wrote():
    people = [Person(first_name=text, last_name="Lee") for text in AWKWARD] + [
        Person(kind=Person.Kind.ORGANISATION, organisation_name="A & <B> Ltd")
    ]
    parties = [Party(pk=20 + i, person=person, role=role) for i, person in enumerate(people)
               for role in ("offender", "victim", "guardian")]  # fmt: skip
    screenings = [None] + [
        Screening(outcome=outcome, screened_on=date(2026, 3, 4), reason=text)
        for outcome in ("suitable", "not_suitable") for text in AWKWARD
    ]  # fmt: skip
    rows = [
        ScreeningStatus(party=party, latest=latest, required=required, juvenile=juvenile)
        for party in parties for latest in screenings for required in (True, False) for juvenile in (True, False)
    ]  # fmt: skip
    for stage in ("screening", "closed"):
        for work in (True, False):
            for shown in (rows, []):
                context = {"case": Case(pk=7, stage=stage), "panel": {"rows": shown}, "perms": {"work": work}}
                written = SCREENING_TAG.render(Context(context))
                assert written == SCREENING_LOOP.render(Context(context))
                assert "<script>" not in written and "<B>" not in written
    assert 'href="/cases/7/parties/20/screening/"' in SCREENING_TAG.render(
        Context({"case": Case(pk=7, stage="screening"), "panel": {"rows": rows}, "perms": {"work": True}})
    )
