"""Signal receivers of the cases app."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Party, Person
from .services import refresh_juvenile


@receiver(post_save, sender=Person, dispatch_uid="cases.person_saved")
def _person_saved(sender, instance: Person, created: bool, **kwargs):
    """A birth date corrected (e.g. in Django admin) can make a case juvenile or adult."""
    if created:
        return
    refresh_juvenile(Party.objects.filter(person=instance, role=Party.Role.OFFENDER).values("case_id"))
