"""Signal receivers of the agreements app."""

from django.db.models import F, Subquery
from django.db.models.signals import post_delete, post_save

from .models import Agreement, FollowUpSummary, Installment, OffenderReturn, Payment, ServiceLog, Term, TermCheck

# What an agreement's compliance is computed from (disbursements are not: see follow_up._summaries).
COMPLIANCE_RECORDS = (Term, Installment, Payment, ServiceLog, TermCheck, OffenderReturn)


def follow_up_changed(case_id) -> None:
    """Make the stored follow-up summaries of every version of a case stale (``FollowUpSummary``): each one's
    own revision is raised (the Follow-up list finds the stale ones by an index of this table alone), and each
    agreement's count of such changes (``Agreement.follow_up_revision``)."""
    Agreement.objects.filter(case_id=case_id).update(follow_up_revision=F("follow_up_revision") + 1)
    FollowUpSummary.objects.filter(agreement__case_id=case_id).update(source_revision=F("source_revision") + 1)


def compliance_record_changed(sender, instance, **kwargs):
    """Any change to what compliance is computed from, by a service, Django admin or a shell, makes the
    stored follow-up summaries of the case stale in the same transaction (``FollowUpSummary``): every
    version's, since an amendment counts what was recorded on the version it replaces. Bulk inserts send
    no signal: a term's installments are inserted in the transaction that saves the term, and the demo
    seeders insert new agreements, which have no summary yet."""
    if sender is OffenderReturn:
        follow_up_changed(instance.case_id)
    elif sender is Term:
        follow_up_changed(Subquery(Agreement.objects.filter(pk=instance.agreement_id).values("case_id")))
    else:
        follow_up_changed(Subquery(Term.objects.filter(pk=instance.term_id).values("agreement__case_id")))


# One module-level function, so the signals' weak references keep it (a function defined in a loop is
# collected as soon as the loop moves on, and its receiver silently disconnected).
for _model in COMPLIANCE_RECORDS:
    _name = _model._meta.model_name
    post_save.connect(compliance_record_changed, sender=_model, dispatch_uid=f"agreements.{_name}_saved")
    post_delete.connect(compliance_record_changed, sender=_model, dispatch_uid=f"agreements.{_name}_deleted")
