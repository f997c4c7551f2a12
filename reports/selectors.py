from cases.models import Program
from cases.selectors import user_roles


def report_programs(user):
    """Programs whose dashboard and reports a user may see: those they coordinate (admins: all)."""
    if user.is_superuser:
        return Program.objects.order_by("name")
    return Program.objects.filter(pk__in=user_roles(user).coordinator_of).order_by("name")
