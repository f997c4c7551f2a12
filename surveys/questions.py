"""The satisfaction survey's questions and answer scale, written once.

The survey page, its form, the admin and the outcome report all read them from here, so a question's
wording and its position in the report can never drift apart.
"""

# (field on SurveyResponse, the statement the party agrees or disagrees with), in the order asked.
QUESTIONS: list[tuple[str, str]] = [
    ("fair", "The process was fair."),
    ("satisfied", "I am satisfied with the outcome."),
    ("safe", "I felt safe."),
    ("heard", "I was heard."),
    ("recommend", "I would recommend mediation to someone in my situation."),
]
FIELDS: list[str] = [field for field, _text in QUESTIONS]

# The agreement scale: 1 strongly disagree … 5 strongly agree. "Prefer not to say" is stored as null.
SCALE: list[tuple[int, str]] = [
    (1, "Strongly disagree"),
    (2, "Disagree"),
    (3, "Neither agree nor disagree"),
    (4, "Agree"),
    (5, "Strongly agree"),
]
SCALE_MIN, SCALE_MAX = SCALE[0][0], SCALE[-1][0]
PREFER_NOT_TO_SAY = "Prefer not to say"
COMMENT_LABEL = "Anything else you would like to tell us?"
COMMENT_MAX_LENGTH = 2000
