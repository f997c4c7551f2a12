from django.contrib import admin

from .models import Case, Membership, Party, Person, Program, ReferralSource


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "currency", "accepts_organisation_victims")
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
    model = Party
    extra = 0
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


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("number", "program", "stage", "offense_category", "referral_date", "lead_mediator")
    list_filter = ("program", "stage", "offense_category", "referral_type", "court_ordered", "mode")
    search_fields = ("number", "parties__person__last_name", "parties__person__organisation_name")
    date_hierarchy = "referral_date"
    list_select_related = ("program", "lead_mediator")
    autocomplete_fields = ["lead_mediator", "co_mediator"]
    readonly_fields = ("version", "stage_changed_at", "created_at", "updated_at")
    show_full_result_count = False
    inlines = [PartyInline]
