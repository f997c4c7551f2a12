"""The case page's survey section (registered in SurveysConfig.ready): counts only, never answers."""

from cases.models import Case

from .selectors import survey_counts


def survey_panel(case: Case, user) -> dict:
    rows = survey_counts(case)
    return {"visible": bool(rows), "rows": rows}
