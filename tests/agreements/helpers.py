"""Bring a case to the agreement stage and sign with the real services."""

import base64
import datetime
from decimal import Decimal

from agreements import services
from agreements.demo import drawn_signature_png
from agreements.models import Agreement
from agreements.selectors import signer_statuses
from mediation import services as mediation
from tests.factories import TEST_PASSWORD
from tests.mediation.helpers import TODAY, ago, assign, new_case, prepare_both_sides, screen_everyone
from tests.two_factor import code_for
from vom.users.selectors import authenticator_for

PNG_URL = "data:image/png;base64," + base64.b64encode(drawn_signature_png("test")).decode()


def case_in_agreement(program, coordinator, mediator, *, juvenile=False, second_offender=False):
    case = assign(new_case(program, coordinator, juvenile=juvenile, second_offender=second_offender), coordinator,
                  mediator)  # fmt: skip
    screen_everyone(case, mediator)
    case = mediation.case_begin_preparation(case=case, expected_version=case.version, actor=mediator)
    prepare_both_sides(case, mediator)
    joint = mediation.meeting_schedule(
        case=case, actor=mediator, kind="joint", scheduled_for=ago(1), location="Library"
    )
    case = mediation.case_begin_session(case=case, expected_version=case.version, actor=mediator)
    mediation.meeting_hold(meeting=joint, expected_version=joint.version, actor=mediator, outcome="agreement")
    return mediation.case_record_agreement(case=case, expected_version=case.version, actor=mediator)


def draft_with_money(case, mediator, total="300.00", count=3) -> Agreement:
    agreement = services.agreement_create(case=case, actor=mediator)
    services.term_add(
        agreement=agreement,
        expected_version=agreement.version,
        actor=mediator,
        kind="money",
        responsible=case.parties.get(role="offender"),
        description="Pay for the broken window.",
        amount=Decimal(total),
        installment_count=count,
        frequency="monthly",
        first_due_date=TODAY + datetime.timedelta(days=14),
    )
    services.term_add(
        agreement=agreement,
        expected_version=agreement.version,
        actor=mediator,
        kind="apology",
        responsible=case.parties.get(role="offender"),
        description="Write a letter of apology.",
        due_date=TODAY + datetime.timedelta(days=21),
    )
    return agreement


def send(agreement, mediator):
    return services.agreement_send_for_signatures(
        agreement=agreement, expected_version=agreement.version, actor=mediator
    )


def credential_of(user) -> str:
    """What ``user`` types to confirm their own signature: their authenticator's code, or their password."""
    device = authenticator_for(user)
    return code_for(device) if device else TEST_PASSWORD


def sign_all(agreement, mediator):
    """Every missing signature: parties on ``mediator``'s tablet, each mediator from their own account."""
    for status in signer_statuses(agreement):
        if status.signature is None:
            actor = status.signer.mediator or mediator
            services.signature_add(
                agreement=agreement, signer_key=status.signer.key, actor=actor, method="drawn", drawn=PNG_URL,
                credential=credential_of(actor) if status.signer.mediator else "", ip_address="10.0.0.7",
                user_agent="tablet",
            )  # fmt: skip
    agreement.refresh_from_db()
    return agreement


def pay(term, amount, actor, on=TODAY):
    from agreements import follow_up

    return follow_up.payment_record(term=term, actor=actor, amount=Decimal(amount), received_on=on, method="cash")


def amend(agreement, mediator, reason="Missed payments: a smaller amount each month."):
    return services.agreement_amend(agreement=agreement, actor=mediator, reason=reason)


def plain_pdf(**extras) -> bytes:
    """A real one-page PDF, as a scanner or "print to PDF" makes; ``extras`` go into its catalogue."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    for key, value in extras.items():
        writer._root_object[key] = value
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def letter_text(letter) -> str:
    """A stored letter's text, its whitespace folded (table cells wrap over lines)."""
    import io

    from pypdf import PdfReader

    with letter.pdf.open("rb") as handle:
        return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages).split())
