from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .questions import COMMENT_LABEL, COMMENT_MAX_LENGTH, PREFER_NOT_TO_SAY, QUESTIONS, SCALE

SKIP = "skip"


def _score(value: str) -> int | None:
    return None if value == SKIP else int(value)


class SurveyForm(forms.Form):
    """One radio row per question (1..5 or "prefer not to say", one of them chosen) and a comment."""

    comment = forms.CharField(
        label=COMMENT_LABEL,
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Optional. Please don’t name anyone: comments are read by the program’s staff."),  # noqa: RUF001,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(value), label) for value, label in SCALE] + [(SKIP, PREFER_NOT_TO_SAY)]
        questions = {
            field: forms.TypedChoiceField(
                label=text,
                choices=choices,
                coerce=_score,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose an answer, or “%(skip)s”.") % {"skip": PREFER_NOT_TO_SAY},
                    "invalid_choice": _("Choose one of the answers from 1 to 5, or “%(skip)s”.")
                    % {"skip": PREFER_NOT_TO_SAY},
                },
            )
            for field, text in QUESTIONS
        }
        # Questions first, in the order the report prints them; the comment last.
        self.fields = {**questions, "comment": self.fields["comment"]}

    def questions(self):
        return [self[field] for field, _text in QUESTIONS]

    @property
    def scores(self) -> dict:
        return {field: self.cleaned_data[field] for field, _text in QUESTIONS}
