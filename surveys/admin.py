"""Read-only views of invitations and responses.

Invitations name the party (who was asked, and whether the link is still open); responses never do,
so a comment is never shown beside a name here. Both are written only by the survey services.
"""

from django.contrib import admin
from django.utils import timezone

from vom.audit.mixins import CaseDataAdmin

from .models import SurveyInvitation, SurveyResponse
from .questions import FIELDS


class ReadOnlyAdmin(CaseDataAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnlyAdmin):
    list_display = ("case", "party_name", "party_role", "occasion", "created_at", "expires_at", "status")
    list_filter = ("occasion",)
    search_fields = ("case__number",)
    list_select_related = ("case", "party__person")
    fields = ("case", "party_name", "party_role", "occasion", "created_at", "expires_at", "status")
    readonly_fields = fields

    @admin.display(description="Party")
    def party_name(self, obj):
        return obj.party.person

    @admin.display(description="Role")
    def party_role(self, obj):
        return obj.party.get_role_display()

    @admin.display(description="Status")
    def status(self, obj):
        # Answered shows no time: lined up with a response's time it would say whose answers they are.
        if obj.used_at:
            return "Answered"
        if not obj.nonce:
            return "Revoked"
        return "Expired" if obj.expires_at <= timezone.now() else "Open"


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ("case", "respondent_role", "occasion", *FIELDS, "short_comment", "submitted_on")
    list_filter = ("occasion", "respondent_role")
    search_fields = ("case__number",)
    list_select_related = ("case",)
    fields = ("case", "respondent_role", "occasion", *FIELDS, "comment", "submitted_on")
    readonly_fields = fields

    @admin.display(description="Comment")
    def short_comment(self, obj):
        return obj.comment[:80]

    @admin.display(description="Submitted", ordering="submitted_at")
    def submitted_on(self, obj):
        return timezone.localtime(obj.submitted_at).date()
