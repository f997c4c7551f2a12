from django.contrib import admin

from .models import Agreement, Disbursement, Installment, Letter, Payment, ServiceLog, Signature, Term, TermCheck


class InstallmentInline(admin.TabularInline):
    model = Installment
    extra = 0


class TermInline(admin.StackedInline):
    model = Term
    extra = 0
    raw_id_fields = ("responsible",)
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
class AgreementAdmin(LockedWhenSignedMixin, admin.ModelAdmin):
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
class TermAdmin(LockedWhenSignedMixin, admin.ModelAdmin):
    list_display = ("agreement", "kind", "responsible", "amount", "hours", "due_date")
    list_filter = ("kind",)
    search_fields = ("agreement__case__number", "description")
    raw_id_fields = ("agreement", "responsible")
    inlines = [InstallmentInline]


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
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


class FollowUpRecordAdmin(admin.ModelAdmin):
    """Payments, disbursements, hours and checks: corrected here only by admins, listed for review."""

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
class LetterAdmin(admin.ModelAdmin):
    list_display = ("case", "kind", "created_at", "shares_terms")
    list_filter = ("kind",)
    search_fields = ("case__number",)
    readonly_fields = ("case", "agreement", "kind", "pdf", "pdf_sha256", "shares_terms", "created_by", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
