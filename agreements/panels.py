from cases.models import Case

from .models import Agreement
from .selectors import current_agreement, signer_statuses


def agreement_panel(case: Case, user) -> dict:
    agreement = current_agreement(case)
    statuses = signer_statuses(agreement) if agreement and agreement.status == Agreement.Status.AWAITING else []
    return {
        "visible": agreement is not None or case.stage == Case.Stage.AGREEMENT,
        "agreement": agreement,
        "signed_count": sum(1 for s in statuses if s.signature),
        "signer_count": len(statuses),
        "can_draft": agreement is None and case.stage == Case.Stage.AGREEMENT,
    }
