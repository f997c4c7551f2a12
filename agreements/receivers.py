"""Signal receivers of the agreements app."""

from django.db.models import F
from django.db.models.signals import post_delete, post_save

from .models import Agreement, Installment, Payment, ServiceLog, Term, TermCheck

# What an agreement's compliance is computed from (disbursements are not: see follow_up._summaries).
COMPLIANCE_RECORDS = (Term, Installment, Payment, ServiceLog, TermCheck)


def compliance_record_changed(sender, instance, **kwargs):
    """Any change to what compliance is computed from, by a service, Django admin or a shell, makes the
    agreement's stored follow-up summary stale in the same transaction (``FollowUpSummary``). Bulk
    inserts send no signal: a term's installments are inserted in the transaction that saves the term,
    and the demo seeders insert new agreements, which have no summary yet."""
    agreements = Agreement.objects.filter(
        **({"pk": instance.agreement_id} if sender is Term else {"terms": instance.term_id})
    )
    agreements.update(follow_up_revision=F("follow_up_revision") + 1)


# One module-level function, so the signals' weak references keep it (a function defined in a loop is
# collected as soon as the loop moves on, and its receiver silently disconnected).
for _model in COMPLIANCE_RECORDS:
    _name = _model._meta.model_name
    post_save.connect(compliance_record_changed, sender=_model, dispatch_uid=f"agreements.{_name}_saved")
    post_delete.connect(compliance_record_changed, sender=_model, dispatch_uid=f"agreements.{_name}_deleted")
