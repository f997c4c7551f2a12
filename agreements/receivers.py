"""Signal receivers of the agreements app."""

from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Agreement, Installment, Payment, ServiceLog, Term, TermCheck

# What an agreement's compliance is computed from (disbursements are not: see follow_up._summaries).
COMPLIANCE_RECORDS = (Installment, Payment, ServiceLog, TermCheck)


def _raise_revision(agreements) -> None:
    agreements.update(follow_up_revision=F("follow_up_revision") + 1)


@receiver(post_save, sender=Term, dispatch_uid="agreements.term_saved")
@receiver(post_delete, sender=Term, dispatch_uid="agreements.term_deleted")
def _term_changed(sender, instance: Term, **kwargs):
    """Any change to what compliance is computed from, by a service, Django admin or a shell, makes the
    agreement's stored follow-up summary stale in the same transaction (``FollowUpSummary``). Bulk
    inserts send no signal: a term's installments are inserted in the transaction that saves the term,
    and the demo seeders insert new agreements, which have no summary yet."""
    _raise_revision(Agreement.objects.filter(pk=instance.agreement_id))


for _model in COMPLIANCE_RECORDS:
    name = _model._meta.model_name

    @receiver(post_save, sender=_model, dispatch_uid=f"agreements.{name}_saved")
    @receiver(post_delete, sender=_model, dispatch_uid=f"agreements.{name}_deleted")
    def _record_changed(sender, instance, **kwargs):
        _raise_revision(Agreement.objects.filter(terms=instance.term_id))
