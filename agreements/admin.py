from django.contrib import admin

from vom.audit.mixins import CaseDataAdmin
from vom.core.dates import BoundedDatesAdminMixin

from .models import Agreement, Disbursement, Installment, Letter, Payment, ServiceLog, Signature, Term, TermCheck


class ReadOnlyInline(BoundedDatesAdminMixin):
    """Terms and installments are written by the services (exact schedules, checked dates): read-only here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InstallmentInline(ReadOnlyInline, admin.TabularInline):
    model = Installment


class TermInline(ReadOnlyInline, admin.StackedInline):
    model = Term
    show_change_link = True


class SignatureInline(admin.TabularInline):
    model = Signature
    extra = 0
    fields = ("signer_name", "role", "method", "signed_at", "ip_address", "recorded_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _locked(obj) -> bool:
    agreement = obj if isinstance(obj, Agreement) else getattr(obj, "agreement", None)
    if isinstance(obj, Installment):
        agreement = obj.term.agreement
    return agreement is not None and agreement.status in {Agreement.Status.SIGNED, Agreement.Status.SUPERSEDED}


class LockedWhenSignedMixin:
    """Signed and superseded versions are evidence: read-only here too."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and _locked(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and _locked(obj))


@admin.register(Agreement)
class AgreementAdmin(LockedWhenSignedMixin, CaseDataAdmin):
    list_display = ("case", "number", "status", "signed_at", "verification_code")
    list_filter = ("status",)
    search_fields = ("case__number", "verification_code")
    list_select_related = ("case",)
    raw_id_fields = ("case", "amends", "created_by")
    readonly_fields = ("verification_code", "pdf", "pdf_sha256", "weasyprint_version", "signed_at", "version")
    inlines = [TermInline, SignatureInline]

    def get_inlines(self, request, obj):
        return [SignatureInline] if obj is not None and _locked(obj) else [TermInline, SignatureInline]


@admin.register(Term)
class TermAdmin(CaseDataAdmin):
    """Read-only: a draft's terms are added and removed on the agreement page, where the services check them
    (a money term's installments add up to its amount, to the cent); a signed version never changes."""

    case_lookup = "agreement__case_id"
    list_display = ("agreement", "kind", "responsible", "amount", "hours", "due_date")
    list_filter = ("kind",)
    search_fields = ("agreement__case__number", "description")
    raw_id_fields = ("agreement", "responsible")
    inlines = [InstallmentInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Signature)
class SignatureAdmin(CaseDataAdmin):
    case_lookup = "agreement__case_id"
    list_display = ("agreement", "signer_name", "role", "method", "signed_at", "ip_address")
    list_filter = ("method",)
    search_fields = ("agreement__case__number", "signer_name")
    list_select_related = ("agreement__case",)

    def has_add_permission(self, request):
        return False  # signatures are given on the signing page, by the signer

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return obj is not None and not _locked(obj) and super().has_delete_permission(request, obj)


class FollowUpRecordAdmin(CaseDataAdmin):
    """Payments, disbursements, hours and checks: corrected here only by admins, listed for review."""

    case_lookup = "term__agreement__case_id"

    list_select_related = ("term__agreement__case",)
    raw_id_fields = ("term", "recorded_by")
    search_fields = ("term__agreement__case__number",)


@admin.register(Payment)
class PaymentAdmin(FollowUpRecordAdmin):
    list_display = ("term", "amount", "received_on", "method", "reference", "recorded_by")
    list_filter = ("method",)
    date_hierarchy = "received_on"


@admin.register(Disbursement)
class DisbursementAdmin(FollowUpRecordAdmin):
    list_display = ("term", "amount", "paid_on", "method", "reference", "recorded_by")
    date_hierarchy = "paid_on"


@admin.register(ServiceLog)
class ServiceLogAdmin(FollowUpRecordAdmin):
    list_display = ("term", "on", "hours", "place", "verified_by")


@admin.register(TermCheck)
class TermCheckAdmin(FollowUpRecordAdmin):
    list_display = ("term", "on", "fulfilled", "note")
    list_filter = ("fulfilled",)


@admin.register(Letter)
class LetterAdmin(CaseDataAdmin):
    list_display = ("case", "kind", "created_at", "shares_terms")
    list_filter = ("kind",)
    search_fields = ("case__number",)
    readonly_fields = ("case", "agreement", "kind", "pdf", "pdf_sha256", "shares_terms", "created_by", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
