"""A case whose offender reads Spanish (through an interpreter) and whose victim reads English."""

import datetime
import subprocess
from decimal import Decimal

from agreements import services
from agreements.models import Agreement
from cases.models import Party
from tests.agreements.helpers import case_in_agreement
from tests.mediation.helpers import TODAY

INTERPRETER = "Lucía Herrera (Riverbend Language Services)"
MONEY_ES = "Pagar la ventana rota, a través del programa."
APOLOGY_ES = "Escribir una carta de disculpa a la víctima."


def speaks(party: Party, language: str, *, interpreter: bool = False) -> Party:
    Party.objects.filter(pk=party.pk).update(preferred_language=language, interpreter_needed=interpreter)
    party.refresh_from_db()
    return party


def spanish_offender_case(program, coordinator, mediator, *, victim_language="en"):
    case = case_in_agreement(program, coordinator, mediator)
    speaks(case.parties.get(role="offender"), "es", interpreter=True)
    speaks(case.parties.get(role="victim"), victim_language)
    return case


def bilingual_draft(case, mediator, *, translate=True) -> Agreement:
    """The draft as the mediator writes it: each free text in English and, when ``translate``, in Spanish."""
    agreement = services.agreement_create(case=case, actor=mediator)
    offender = case.parties.get(role="offender")
    services.term_add(
        agreement=agreement, expected_version=agreement.version, actor=mediator, kind="money", responsible=offender,
        description="Pay for the broken window, through the program.", amount=Decimal("1250.00"),
        installment_count=5, frequency="monthly", first_due_date=TODAY + datetime.timedelta(days=14),
        translations={"es": MONEY_ES} if translate else {},
    )  # fmt: skip
    agreement.refresh_from_db()
    services.term_add(
        agreement=agreement, expected_version=agreement.version, actor=mediator, kind="apology", responsible=offender,
        description="Write a letter of apology to the victim.", due_date=TODAY + datetime.timedelta(days=21),
        translations={"es": APOLOGY_ES} if translate else {},
    )  # fmt: skip
    agreement.refresh_from_db()
    return agreement


def stored_pdf(agreement: Agreement) -> bytes:
    with agreement.pdf.open("rb") as handle:
        return handle.read()


def png_pages(data: bytes, folder) -> list:
    """Each page rendered to PNG by poppler's pdftoppm, as a person would look at it."""
    source = folder / "agreement.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(source), str(folder / "page")], check=True, timeout=120)
    return sorted(folder.glob("page-*.png"))
