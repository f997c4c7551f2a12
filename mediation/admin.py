from django.contrib import admin
from django.db import models

from vom.audit.mixins import CaseDataAdmin
from vom.core.dates import BoundedDatesAdminMixin

from .models import ContactAttempt, MediatorProfile, Meeting, Screening, ShuttleRound, TimeLog


@admin.register(MediatorProfile)
class MediatorProfileAdmin(BoundedDatesAdminMixin, admin.ModelAdmin):
    list_display = ("user", "languages", "max_active_cases", "accepting_cases", "training_completed_on")
    list_filter = ("accepting_cases",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "languages")
    autocomplete_fields = ["user"]


@admin.register(ContactAttempt)
class ContactAttemptAdmin(CaseDataAdmin):
    case_lookup = "party__case_id"
    list_display = ("at", "party", "method", "result", "recorded_by")
    list_filter = ("method", "result")
    search_fields = ("party__case__number", "party__person__last_name")
    list_select_related = ("party__person", "party__case", "recorded_by")
    raw_id_fields = ("party", "recorded_by")


@admin.register(Screening)
class ScreeningAdmin(CaseDataAdmin):
    case_lookup = "party__case_id"
    list_display = ("party", "screened_on", "outcome", "screened_by")
    list_filter = ("outcome",)
    search_fields = ("party__case__number", "party__person__last_name")
    list_select_related = ("party__person", "party__case", "screened_by")
    raw_id_fields = ("party", "screened_by")


class AttendeeInline(admin.TabularInline):
    model = Meeting.attendees.through
    extra = 0
    raw_id_fields = ("party",)
    verbose_name = "attendee"


@admin.register(Meeting)
class MeetingAdmin(CaseDataAdmin):
    list_display = ("case", "kind", "scheduled_for", "status", "outcome")
    list_filter = ("kind", "status", "outcome")
    search_fields = ("case__number", "location")
    date_hierarchy = "scheduled_for"
    list_select_related = ("case",)
    raw_id_fields = ("case", "created_by")
    filter_horizontal = ("mediators",)
    exclude = ("attendees",)
    readonly_fields = ("version",)
    inlines = [AttendeeInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(ShuttleRound)
class ShuttleRoundAdmin(CaseDataAdmin):
    list_display = ("case", "held_on", "direction", "form", "concludes")
    list_filter = ("direction", "form", "concludes")
    search_fields = ("case__number",)
    raw_id_fields = ("case", "recorded_by")


@admin.register(TimeLog)
class TimeLogAdmin(CaseDataAdmin):
    list_display = ("on", "case", "mediator", "minutes", "activity")
    list_filter = ("activity",)
    search_fields = ("case__number", "mediator__username")
    raw_id_fields = ("case", "mediator")
