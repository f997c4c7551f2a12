"""What agreements remove of a case's personal data under the retention policy (``cases.retention`` drives
it through the agreements extension): term descriptions, signatures and every stored PDF, payment references."""

from cases.models import Case
from cases.retention import delete_file

from .models import Agreement, Disbursement, Letter, Payment, Signature, Term


def agreements_case_anonymise(*, case: Case) -> None:
    for term in Term.objects.filter(agreement__case=case):
        Term.objects.filter(pk=term.pk).update(description=term.get_kind_display())
    for signature in Signature.objects.filter(agreement__case=case):
        delete_file(signature.image)
        delete_file(signature.scan)
    Signature.objects.filter(agreement__case=case).update(
        signer_name="Anonymised", typed_name="", image="", scan="", ip_address=None, user_agent=""
    )
    for agreement in Agreement.objects.filter(case=case):
        delete_file(agreement.pdf)
    Agreement.objects.filter(case=case).update(pdf="", amendment_reason="")
    for letter in Letter.objects.filter(case=case):
        delete_file(letter.pdf)
    Letter.objects.filter(case=case).update(pdf="")
    Payment.objects.filter(term__agreement__case=case).update(reference="")
    Disbursement.objects.filter(term__agreement__case=case).update(reference="")
