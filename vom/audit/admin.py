import json

from django.contrib import admin

from vom.core.exports import csv_response

from .models import AuditEvent
from .services import audit_record

EXPORT_HEADER = ["At (UTC)", "User", "Action", "What", "Case id", "Address", "User agent", "Changes"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Admins see all of it, filter it and search it; nobody can change or delete it."""

    list_display = ("at", "username", "action", "what", "case_id", "ip_address")
    list_filter = ("action",)
    search_fields = ("username", "what", "=case_id", "ip_address")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    actions = ["export_csv"]

    @admin.action(description="Export the selected events as CSV")
    def export_csv(self, request, queryset):
        events = queryset.order_by("at", "pk")
        audit_record(request=request, action=AuditEvent.Action.EXPORT, what=f"audit trail CSV, {events.count()} events")
        rows = (
            [e.at.isoformat(), e.username, e.action, e.what, e.case_id or "", e.ip_address or "", e.user_agent,
             json.dumps(e.changes, ensure_ascii=False) if e.changes else ""]
            for e in events.iterator(chunk_size=1000)
        )  # fmt: skip
        return csv_response("audit-trail.csv", EXPORT_HEADER, rows)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
