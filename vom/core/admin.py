from django.contrib import admin

from .dates import BoundedDatesAdminMixin
from .models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(BoundedDatesAdminMixin, admin.ModelAdmin):
    """Read-only: rows are written by the workers themselves."""

    list_display = ("hostname", "last_seen", "beats")
    search_fields = ("hostname",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
