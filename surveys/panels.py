"""The case page's survey section (registered in SurveysConfig.ready): counts only, never answers."""

from cases.extensions import CaseFacts


def survey_panel(facts: CaseFacts) -> dict:
    rows = facts.of("surveys").rows
    return {"visible": bool(rows), "rows": rows}
