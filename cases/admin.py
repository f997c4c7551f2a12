from django.contrib import admin

from .models import Assignment, Case, Membership, Note, Party, Person, Program, ReferralSource, TimelineEvent


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "currency", "accepts_organisation_victims", "mediators_require_two_factor")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "program", "role", "created_at")
    list_filter = ("program", "role")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    autocomplete_fields = ["user"]


@admin.register(ReferralSource)
class ReferralSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "program", "contact_name", "active")
    list_filter = ("program", "kind", "active")
    search_fields = ("name", "contact_name")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "date_of_birth")
    list_filter = ("kind",)
    search_fields = ("first_name", "last_name", "organisation_name")


class PartyInline(admin.StackedInline):
    """Shown read-only: party details change through the app, which checks and records every change."""

    model = Party
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    autocomplete_fields = ["person"]
    fk_name = "case"
    fields = (
        ("person", "role", "related_party"),
        ("preferred_language", "interpreter_needed"),
        "accessibility_needs",
        ("consent_to_contact", "contact_method"),
        ("email", "phone"),
        "address",
    )


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ("mediator", "role", "started_at", "ended_at", "assigned_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: written by services, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "case", "kind", "summary", "actor")
    list_filter = ("kind",)
    search_fields = ("case__number", "summary")
    list_select_related = ("case", "actor")
    date_hierarchy = "at"


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ("case", "author", "created_at", "confidential")
    list_filter = ("confidential",)
    search_fields = ("case__number",)
    list_select_related = ("case", "author")
    raw_id_fields = ("case", "author")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("case", "mediator", "role", "started_at", "ended_at")
    list_filter = ("role",)
    search_fields = ("case__number", "mediator__username", "mediator__last_name")
    list_select_related = ("case", "mediator")


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Cases enter through intake and move through services; admin corrects reference fields only."""

    list_display = ("number", "program", "stage", "offense_category", "referral_date", "lead_mediator")
    list_filter = ("program", "stage", "offense_category", "referral_type", "court_ordered", "mode")
    search_fields = ("number", "parties__person__last_name", "parties__person__organisation_name")
    date_hierarchy = "referral_date"
    list_select_related = ("program", "lead_mediator")
    readonly_fields = (
        "number", "stage", "outcome", "closed_from_stage", "lead_mediator", "co_mediator", "mode", "version",
        "stage_changed_at", "closed_at", "created_at", "updated_at",
    )  # fmt: skip
    show_full_result_count = False
    list_per_page = 50  # the caseload's page size
    inlines = [PartyInline, AssignmentInline]

    def has_add_permission(self, request):
        return False  # intake numbers cases and checks their parties

    def has_change_permission(self, request, obj=None):
        return False  # edits go through the app: version checks, timeline, audit

    def has_delete_permission(self, request, obj=None):
        return False
