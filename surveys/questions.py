"""The satisfaction survey's questions and answer scale, written once.

The survey page, its form, the admin and the outcome report all read them from here, so a question's
wording and its position in the report can never drift apart.
"""

from django.utils.translation import gettext_lazy as _

# (field on SurveyResponse, the statement the party agrees or disagrees with), in the order asked.
QUESTIONS: list[tuple[str, str]] = [
    ("fair", _("The process was fair.")),
    ("satisfied", _("I am satisfied with the outcome.")),
    ("safe", _("I felt safe.")),
    ("heard", _("I was heard.")),
    ("recommend", _("I would recommend mediation to someone in my situation.")),
]
FIELDS: list[str] = [field for field, _text in QUESTIONS]

# The agreement scale: 1 strongly disagree … 5 strongly agree. "Prefer not to say" is stored as null.
SCALE: list[tuple[int, str]] = [
    (1, _("Strongly disagree")),
    (2, _("Disagree")),
    (3, _("Neither agree nor disagree")),
    (4, _("Agree")),
    (5, _("Strongly agree")),
]
SCALE_MIN, SCALE_MAX = SCALE[0][0], SCALE[-1][0]
PREFER_NOT_TO_SAY = _("Prefer not to say")
COMMENT_LABEL = _("Anything else you would like to tell us?")
COMMENT_MAX_LENGTH = 2000
