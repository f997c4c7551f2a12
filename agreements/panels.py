from cases.models import Case

from .compliance import LABELS
from .follow_up import compliance as follow_up_compliance
from .models import Agreement, Letter
from .selectors import current_agreement, signer_statuses


def agreement_panel(case: Case, user) -> dict:
    agreement = current_agreement(case)
    statuses = signer_statuses(agreement) if agreement and agreement.status == Agreement.Status.AWAITING else []
    compliance = ""
    if agreement and agreement.status == Agreement.Status.SIGNED and case.stage == Case.Stage.FOLLOW_UP:
        compliance = LABELS[follow_up_compliance(agreement)[0]]
    return {
        "compliance": compliance,
        "letters": list(Letter.objects.filter(case=case)) if case.stage == Case.Stage.CLOSED else [],
        "visible": agreement is not None or case.stage == Case.Stage.AGREEMENT,
        "agreement": agreement,
        "signed_count": sum(1 for s in statuses if s.signature),
        "signer_count": len(statuses),
        "can_draft": agreement is None and case.stage == Case.Stage.AGREEMENT,
    }
