"""The Follow-up list's rows, written in Python, must be what its loop of tags wrote: same markup, every value
escaped."""

from datetime import date

from django.template import Context, Template
from django.utils.functional import lazy

LOOP = Template(  # the list's loop as it was, without the whitespace between rows and cells
    '{% for row in rows %}<tr{% if row.behind %} class="row--overdue"{% endif %}><th scope="row">'
    "<a href=\"{% url 'agreements:follow_up' row.case_id row.pk %}\">{{ row.number }}</a></th><td>"
    '<span class="compliance compliance--{{ row.status }}">{{ row.label }}</span></td>'
    '<td>{{ row.next_due|date:"M j, Y"|default:"—" }}</td><td>{{ row.outstanding }}</td><td>{{ row.lead }}</td>'
    "</tr>{% endfor %}"
)
AWKWARD = ['<script>alert("x")</script>', "Tom & Jerry's", "plain", ""]


def test_the_follow_up_rows_are_what_the_loop_wrote():
    label = lazy(lambda text: text, str)  # the statuses' labels are lazy translations
    rows = [
        {"case_id": 7 + i, "pk": 1000 + i, "number": text, "status": status, "label": label(text), "behind": behind,
         "next_due": due, "outstanding": f"${text}1.00", "lead": text}
        for i, text in enumerate(AWKWARD) for status in ("overdue", '"><x') for behind in (True, False)
        for due in (None, date(2026, 12, 31))
    ]  # fmt: skip
    written = Template("{% load agreement_tags %}{% follow_up_table_rows rows %}").render(Context({"rows": rows}))
    assert written == LOOP.render(Context({"rows": rows}))
    assert "<script>" not in written and '"><x' not in written and written.count("<tr") == len(rows)
    assert 'href="/cases/7/agreements/1000/follow-up/"' in written and "<td>Dec 31, 2026</td>" in written
