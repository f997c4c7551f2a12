from cases.models import Case

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
    return {
        "compliance": compliance,
        "letters": list(Letter.objects.filter(case=case)) if case.stage == Case.Stage.CLOSED else [],
        "visible": agreement is not None or case.stage == Case.Stage.AGREEMENT,
        "agreement": agreement,
        "signed_count": sum(1 for s in statuses if s.signature),
        "signer_count": len(statuses),
        "can_draft": agreement is None and case.stage == Case.Stage.AGREEMENT,
    }
