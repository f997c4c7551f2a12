from django.contrib import admin, messages

from vom.audit.mixins import CaseDataAdmin

from .models import Notification
from .services import notification_resend

# A party's own address (a victim's, for instance) is masked: admins are not on the case team. The
# context is hidden with it (a meeting's place can be a party's home).
PARTY_ADDRESS = "a party's address (hidden)"
HIDDEN = {"email", "context", "last_error"}


@admin.register(Notification)
class NotificationAdmin(CaseDataAdmin):
    """The outbox. Failures are visible here; a failed notification can be queued again."""

    list_display = ("due_at", "template", "recipient", "status", "attempts", "sent_at", "short_error")
    list_filter = ("status", "template", "channel")
    search_fields = ("dedupe_key", "user__username", "subject")
    date_hierarchy = "due_at"
    list_select_related = ("user",)
    readonly_fields = [
        *(f.name for f in Notification._meta.fields if f.name not in HIDDEN),
        "recipient",
        "context_shown",
        "error_shown",
    ]
    exclude = tuple(HIDDEN)
    actions = ["resend"]

    @admin.display(description="Recipient")
    def recipient(self, obj):
        return obj.user or PARTY_ADDRESS

    @admin.display(description="Context")
    def context_shown(self, obj):
        return obj.context if obj.user_id else "(hidden: the message went to a party)"

    @admin.display(description="Last error")
    def error_shown(self, obj):
        # A mail server's refusal often quotes the address it refused.
        return obj.last_error.replace(obj.email, PARTY_ADDRESS) if obj.email else obj.last_error

    @admin.display(description="Last error")
    def short_error(self, obj):
        return self.error_shown(obj)[:80]

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
