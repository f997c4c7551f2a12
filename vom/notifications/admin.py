from django.contrib import admin, messages

from .models import Notification
from .services import notification_resend


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox. Failures are visible here; a failed notification can be queued again."""

    list_display = ("due_at", "template", "recipient", "status", "attempts", "sent_at", "short_error")
    list_filter = ("status", "template", "channel")
    search_fields = ("dedupe_key", "email", "user__username", "subject")
    date_hierarchy = "due_at"
    list_select_related = ("user",)
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["resend"]

    @admin.display(description="Recipient")
    def recipient(self, obj):
        return obj.user or obj.email

    @admin.display(description="Last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description="Queue the selected failed notifications again")
    def resend(self, request, queryset):
        failed = queryset.filter(status=Notification.Status.FAILED)
        for notification in failed:
            notification_resend(notification=notification)
        self.message_user(request, f"{failed.count()} notification(s) queued again.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
