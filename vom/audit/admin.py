from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Admins see all of it, filter it and search it; nobody can change or delete it."""

    list_display = ("at", "username", "action", "what", "case_id", "ip_address")
    list_filter = ("action",)
    search_fields = ("username", "what", "=case_id", "ip_address")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
