from cases.models import Case, Party
from cases.policies import can
from mediation.retention import minimise_refusals

from .follow_up import follow_up_overview
from .models import Agreement, Letter
from .selectors import current_agreement, signer_statuses


def agreement_panel(case: Case, user) -> dict:
    agreement = current_agreement(case)
    statuses = signer_statuses(agreement) if agreement and agreement.status == Agreement.Status.AWAITING else []
    compliance = ""
    if agreement and agreement.status == Agreement.Status.SIGNED and case.stage == Case.Stage.FOLLOW_UP:
        # From the stored summary, as the Follow-up list shows it, not from every record of every term.
        compliance = next((row.label for row in follow_up_overview(Case.objects.filter(pk=case.pk))), "")
    followed = agreement if agreement and agreement.status == Agreement.Status.SIGNED else None
    if agreement and agreement.amends_id and followed is None:  # an amendment is being drafted or signed
        followed = Agreement.objects.filter(case=case, status=Agreement.Status.SIGNED).first()
    closed = case.stage == Case.Stage.CLOSED
    letters = list(Letter.objects.filter(case=case).select_related("party__person")) if closed or agreement else []
    minimisable = []
    if (
        closed
        and case.outcome in {Case.Outcome.DECLINED, Case.Outcome.UNSUITABLE}
        and can(user, "minimise_party", case)
    ):
        minimisable = [p for p in Party.objects.filter(case=case).select_related("person", "case")
                       if not minimise_refusals(p)]  # fmt: skip
    return {
        "compliance": compliance,
        "letters": letters,
        "minimisable": minimisable,
        "visible": agreement is not None or case.stage == Case.Stage.AGREEMENT or bool(letters),
        "agreement": agreement,
        "followed": followed,
        "signed_count": sum(1 for s in statuses if s.signature),
        "signer_count": len(statuses),
        "can_draft": agreement is None and case.stage == Case.Stage.AGREEMENT,
        "can_report": agreement is not None
        and case.stage == Case.Stage.FOLLOW_UP
        and can(user, "report_progress", case),
    }
