from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from vom.audit.mixins import CaseDataAdmin
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.core.dates import BoundedDatesAdminMixin

from .models import Assignment, Case, Membership, Note, Party, Person, Program, ReferralSource, TimelineEvent

# Parties whose contact details the admin masks: the victim side. An admin is not on the case team, so
# (as on the case page) they see these only through the audited "reveal" page, with a reason.
PROTECTED_ROLES = {Party.Role.VICTIM, Party.Role.VICTIM_REPRESENTATIVE}
MASKED = "••• hidden (victim side): use “Reveal victims' contact details”"


def is_protected(party: Party) -> bool:
    """A victim, a victim's representative, or a support person who accompanies one."""
    if party.role in PROTECTED_ROLES:
        return True
    related = party.related_party
    return party.role == Party.Role.SUPPORT and related is not None and related.role in PROTECTED_ROLES


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Program)
class ProgramAdmin(BoundedDatesAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "currency", "accepts_organisation_victims", "mediators_require_two_factor")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(BoundedDatesAdminMixin, admin.ModelAdmin):
    list_display = ("user", "program", "role", "created_at")
    list_filter = ("program", "role")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    autocomplete_fields = ["user"]


@admin.register(ReferralSource)
class ReferralSourceAdmin(BoundedDatesAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "program", "contact_name", "active")
    list_filter = ("program", "kind", "active")
    search_fields = ("name", "contact_name")


@admin.register(Person)
class PersonAdmin(CaseDataAdmin):
    case_lookup = None  # one person across cases
    list_display = ("__str__", "kind", "date_of_birth")
    list_filter = ("kind",)
    search_fields = ("first_name", "last_name", "organisation_name")


class PartyInline(admin.StackedInline):
    """Shown read-only: party details change through the app, which checks and records every change.

    The victim side's email, phone and address are masked (``is_protected``)."""

    model = Party
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    fk_name = "case"
    fields = (
        ("person", "role", "related_party"),
        ("preferred_language", "interpreter_needed"),
        "accessibility_needs",
        ("consent_to_contact", "contact_method"),
        ("email_shown", "phone_shown"),
        "address_shown",
    )
    readonly_fields = ("email_shown", "phone_shown", "address_shown")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person", "related_party__person")

    def _contact(self, party: Party, name: str) -> str:
        return MASKED if is_protected(party) else getattr(party, name) or "—"

    @admin.display(description="Email")
    def email_shown(self, party):
        return self._contact(party, "email")

    @admin.display(description="Phone")
    def phone_shown(self, party):
        return self._contact(party, "phone")

    @admin.display(description="Address")
    def address_shown(self, party):
        return self._contact(party, "address")


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ("mediator", "role", "started_at", "ended_at", "assigned_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(CaseDataAdmin):
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
class NoteAdmin(CaseDataAdmin):
    """Confidential notes are read-only here: they stay as the case team wrote them."""

    list_display = ("case", "author", "created_at", "confidential")
    list_filter = ("confidential",)
    search_fields = ("case__number",)
    list_select_related = ("case", "author")
    raw_id_fields = ("case", "author")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and obj.confidential)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.confidential)


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("case", "mediator", "role", "started_at", "ended_at")
    list_filter = ("role",)
    search_fields = ("case__number", "mediator__username", "mediator__last_name")
    list_select_related = ("case", "mediator")


class RevealForm(forms.Form):
    reason = forms.CharField(
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why you need them (for example: the court asked for the victim's address in writing on …). "
        "This is recorded in the audit trail with your name.",
    )


@admin.register(Case)
class CaseAdmin(CaseDataAdmin):
    """Cases enter through intake and move through services; admin corrects reference fields only."""

    case_lookup = "pk"
    list_display = ("number", "program", "stage", "offense_category", "referral_date", "lead_mediator")
    list_filter = ("program", "stage", "offense_category", "referral_type", "court_ordered", "mode")
    search_fields = ("number", "parties__person__last_name", "parties__person__organisation_name")
    date_hierarchy = "referral_date"
    list_select_related = ("program", "lead_mediator")
    readonly_fields = (
        "number", "stage", "outcome", "closed_from_stage", "lead_mediator", "co_mediator", "mode", "version",
        "stage_changed_at", "closed_at", "created_at", "updated_at", "victim_contacts",
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

    @admin.display(description="Victims' contact details")
    def victim_contacts(self, obj):
        url = reverse("admin:cases_case_reveal_contacts", args=[obj.pk])
        return format_html("Masked below. <a href='{}'>Reveal victims' contact details…</a> (asks for a reason; "
                           "recorded in the audit trail)", url)  # fmt: skip

    def get_urls(self):
        reveal = path(
            "<int:pk>/reveal-contacts/",
            self.admin_site.admin_view(self.reveal_contacts_view),
            name="cases_case_reveal_contacts",
        )
        return [reveal, *super().get_urls()]

    def reveal_contacts_view(self, request, pk):
        """A reason (GET shows the form), then the victim side's contact details, once, audited (POST)."""
        case = get_object_or_404(Case, pk=pk)
        if not self.has_view_permission(request, case):
            raise PermissionDenied
        form = RevealForm(request.POST or None)
        parties = None
        if request.method == "POST" and form.is_valid():
            reason = form.cleaned_data["reason"].strip()
            audit_record(request=request, action=AuditEvent.Action.REVEAL, case_id=case.pk,
                         what=f"admin: victims' contact details of case {case.number}",
                         changes={"reason": ("", reason)})  # fmt: skip
            people = Party.objects.filter(case=case).select_related("person", "related_party").order_by("pk")
            parties = [p for p in people if is_protected(p)]
            messages.warning(request, "Shown once and recorded in the audit trail. Do not copy them anywhere else.")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Victims' contact details of case {case.number}",
            "subject": case,
            "opts": self.model._meta,
            "change_url": reverse("admin:cases_case_change", args=[case.pk]),
            "form": form,
            "parties": parties,
        }
        return TemplateResponse(request, "admin/cases/case/reveal_contacts.html", context)
