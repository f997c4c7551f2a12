"""Signal receivers of the cases app."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Case, Membership, Party, Person, Program, ReferralSource
from .services import program_filters_changed, refresh_juvenile


@receiver(post_save, sender=Person, dispatch_uid="cases.person_saved")
def _person_saved(sender, instance: Person, created: bool, **kwargs):
    """A birth date corrected (e.g. in Django admin) can make a case juvenile or adult."""
    if created:
        return
    refresh_juvenile(Party.objects.filter(person=instance, role=Party.Role.OFFENDER).values("case_id"))


# --- What the caseload filter offers (``Program.filters_version``) ----------------------------------------
# Any save or delete of a membership or a referral source, by a service, Django admin (the program's
# membership inline too) or a shell, gives the programs concerned a new version in the same transaction;
# so does renaming a user who mediates, or a program. Bulk inserts send no signal: their callers (the demo
# seeders) call ``program_filters_changed`` themselves. Deactivating users changes nothing offered: the
# filter keeps listing mediators who left, whose cases remain.

FILTER_INPUTS = (Membership, ReferralSource)
NAME_FIELDS = frozenset({"first_name", "last_name", "username"})


def filter_input_before_save(sender, instance, **kwargs):
    """Remember the program a membership or source belonged to, when a save may move it to another."""
    if instance.pk is not None:
        before = sender.objects.filter(pk=instance.pk).values_list("program_id", flat=True)
        instance._filters_program_before = before.first()


def filter_input_changed(sender, instance, **kwargs):
    before = getattr(instance, "_filters_program_before", None)
    program_filters_changed(program_ids={instance.program_id} | ({before} if before else set()))


for _model in FILTER_INPUTS:
    _name = _model._meta.model_name
    pre_save.connect(filter_input_before_save, sender=_model, dispatch_uid=f"cases.{_name}_filters_before")
    post_save.connect(filter_input_changed, sender=_model, dispatch_uid=f"cases.{_name}_filters_saved")
    post_delete.connect(filter_input_changed, sender=_model, dispatch_uid=f"cases.{_name}_filters_deleted")


@receiver(post_save, sender=Program, dispatch_uid="cases.program_filters_saved")
def _program_saved(sender, instance: Program, **kwargs):
    """Its name is an option of the filter (a full save also writes back the version it read: replaced)."""
    if kwargs.get("update_fields") is None or "name" in kwargs["update_fields"]:
        program_filters_changed(program_ids=[instance.pk])


@receiver(post_save, sender=get_user_model(), dispatch_uid="cases.user_filters_saved")
def _user_saved(sender, instance, created: bool, update_fields=None, **kwargs):
    """A mediator's name is an option of their programs' filter (sign-ins save only ``last_login``: skipped)."""
    if created or (update_fields is not None and not NAME_FIELDS & set(update_fields)):
        return
    mediates = Membership.objects.filter(user_id=instance.pk, role=Membership.Role.MEDIATOR).values("program_id")
    # And where they lead or co-mediate a case: a colleague on a mediator's cases who has since left the program
    # is still a choice of that mediator's filter (``cases.selectors._colleague_choices``).
    led = Case.objects.filter(Q(lead_mediator_id=instance.pk) | Q(co_mediator_id=instance.pk)).values("program_id")
    program_filters_changed(program_ids=Program.objects.filter(Q(pk__in=mediates) | Q(pk__in=led)).values("pk"))
