"""The case page shows how many were asked and answered, never who answered or what."""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.models import SurveyInvitation
from surveys.services import survey_invitations_plan, survey_response_submit
from tests.surveys.conftest import emailable


def panel(body: str) -> str:
    start = body.index('id="h-surveys"')
    return body[start : body.index("</section>", start)]


@pytest.fixture
def answered(held, invitation):
    emailable(held.parties.get(role="victim"), "ana@example.org")
    survey_invitations_plan()
    survey_response_submit(invitation=invitation, nonce=invitation.nonce, comment="The mediator was kind to me.",
                           scores={"fair": 2, "satisfied": 1, "safe": 3, "heard": 2, "recommend": 1})  # fmt: skip
    SurveyInvitation.objects.filter(party__role="guardian").update(expires_at=timezone.now() - timedelta(days=1))
    now = timezone.now()
    SurveyInvitation.objects.create(case=held, party=held.parties.get(role="offender"), occasion="closure",
                                    nonce="n", created_at=now, expires_at=now + timedelta(days=30))  # fmt: skip
    return held


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["mediator", "coordinator"])
def test_the_panel_counts_per_occasion_without_answers(client, answered, who, request):
    client.force_login(request.getfixturevalue(who))
    body = client.get(f"/cases/{answered.pk}/").content.decode()
    section = " ".join(panel(body).split())
    assert "Satisfaction surveys" in section
    # After the joint session: offender answered, guardian expired, victim still open; at closure: one open.
    assert ('<th scope="row">After the joint session</th><td class="num">3</td><td class="num">1</td>'
            '<td class="num">1</td><td class="num">1</td>') in section  # fmt: skip
    assert ('<th scope="row">At closure</th><td class="num">1</td><td class="num">0</td>'
            '<td class="num">0</td><td class="num">1</td>') in section  # fmt: skip
    assert "The mediator was kind to me." not in body
    for name in ("Kai", "Rita", "Ana", "Offender", "Guardian", "Victim"):
        assert name not in section


@pytest.mark.django_db
def test_no_panel_before_anyone_is_invited(client, case, mediator):
    client.force_login(mediator)
    assert 'id="h-surveys"' not in client.get(f"/cases/{case.pk}/").content.decode()
