"""What surveys knows of one case for its page: per occasion, how many were invited, answered, expired
unanswered and still open (counts only, read with the case itself)."""

from dataclasses import dataclass

from django.db.models import OuterRef, Q
from django.db.models.functions import Now

from cases.models import Case, Party
from cases.selectors import count_of

from .models import SurveyInvitation
from .selectors import survey_counts

COUNTS = ("invited", "answered", "expired")


def case_annotations() -> dict:
    """The counts of ``survey_counts``, "now" being the database's (the expressions are built once per process)."""
    unused = Q(used_at__isnull=True)
    conditions = {"invited": Q(), "answered": ~unused, "expired": unused & (Q(expires_at__lte=Now()) | Q(nonce=""))}
    annotations = {}
    for occasion in SurveyInvitation.Occasion.values:
        of_case = SurveyInvitation.objects.filter(case=OuterRef("pk"), occasion=occasion)
        for name in COUNTS:
            annotations[f"surveys_{occasion}_{name}"] = count_of(of_case.filter(conditions[name]))
    return annotations


@dataclass
class SurveyFacts:
    rows: list[dict]  # as ``surveys.selectors.survey_counts``


def load_survey_facts(*, case: Case, parties: list[Party], user=None) -> SurveyFacts:
    """No query when the case was read with ``case_annotations``."""
    if not hasattr(case, f"surveys_{SurveyInvitation.Occasion.values[0]}_invited"):
        return SurveyFacts(survey_counts(case))
    rows = []
    for value, label in SurveyInvitation.Occasion.choices:
        row = {name: getattr(case, f"surveys_{value}_{name}") for name in COUNTS}
        if row["invited"]:
            waiting = row["invited"] - row["answered"] - row["expired"]
            rows.append({"occasion": value, "label": label, **row, "waiting": waiting})
    return SurveyFacts(rows)
