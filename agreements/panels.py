"""The case page's agreement section (registered in AgreementsConfig.ready), from the case's facts."""

from cases.extensions import CaseFacts
from cases.models import Case
from cases.policies import can
from mediation.facts import mediation_facts
from mediation.retention import minimise_refusals

from .facts import agreement_facts
from .models import Agreement


def agreement_panel(facts: CaseFacts) -> dict:
    case, user, found = facts.case, facts.user, agreement_facts(facts)
    agreement = found.current
    awaiting = agreement is not None and agreement.status == Agreement.Status.AWAITING
    compliance = ""
    if agreement and agreement.status == Agreement.Status.SIGNED and case.stage == Case.Stage.FOLLOW_UP:
        # From the stored summary, as the Follow-up list shows it, not from every record of every term.
        compliance = found.follow_up.label if found.follow_up else ""
    followed = agreement if agreement and agreement.status == Agreement.Status.SIGNED else None
    if agreement and agreement.amends_id and followed is None:  # an amendment is being drafted or signed
        followed = found.signed_version
    closed = case.stage == Case.Stage.CLOSED
    letters = found.letters if closed or agreement else []
    minimisable = []
    if (
        closed
        and case.outcome in {Case.Outcome.DECLINED, Case.Outcome.UNSUITABLE}
        and can(user, "minimise_party", case)
    ):
        latest = mediation_facts(facts).latest
        for party in sorted(facts.parties, key=lambda p: (p.role, p.pk)):  # as the parties' own ordering
            party.case = case
            if not minimise_refusals(party, latest=latest):
                minimisable.append(party)
    return {
        "compliance": compliance,
        "letters": letters,
        "minimisable": minimisable,
        "visible": agreement is not None or case.stage == Case.Stage.AGREEMENT or bool(letters),
        "agreement": agreement,
        "followed": followed,
        "signed_count": len(found.signed) if awaiting else 0,
        "signer_count": len(found.signers) if awaiting else 0,
        "can_draft": agreement is None and case.stage == Case.Stage.AGREEMENT,
        "can_report": agreement is not None
        and case.stage == Case.Stage.FOLLOW_UP
        and can(user, "report_progress", case),
    }
