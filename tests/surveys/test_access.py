"""No case or object page shows a party's survey answers: every URL, every role, once a survey is answered.

The outcome report (``reports:``) is the one place answers appear, by design: aggregated per program,
comments without a name or case; its own tests cover that.
"""

import pytest

from surveys.models import SurveyInvitation
from surveys.services import survey_response_submit
from tests.cases.test_access import ACCESS, ROLES, objects, users  # noqa: F401 -- fixtures used below

SECRET_COMMENT = "Only-for-the-report 7f3a: the co-mediator was dismissive."


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_no_url_shows_a_survey_answer_to_anyone(client, users, objects, role):  # noqa: F811
    invitation = SurveyInvitation.objects.select_related("party").get()
    survey_response_submit(invitation=invitation, nonce=invitation.nonce, comment=SECRET_COMMENT,
                           scores={"fair": 1, "satisfied": 1, "safe": 1, "heard": 1, "recommend": 1})  # fmt: skip
    if users[role] is not None:
        client.force_login(users[role])
    for name, (build, _get, _post) in ACCESS.items():
        if name.startswith("reports:"):
            continue
        response = client.get(build(objects))
        if response.status_code == 200 and not response.streaming:
            assert SECRET_COMMENT not in response.content.decode(errors="replace"), f"{name} shows the comment"
    # The used link itself answers "no longer valid" and shows nothing back.
    response = client.get(ACCESS["surveys:answer"][0](objects))
    assert response.status_code == 410 and SECRET_COMMENT not in response.content.decode()
