from django import forms
from django.utils import timezone

from cases.forms import DateInput, VersionForm
from cases.models import Party
from vom.core.dates import BoundedDateField

from .models import Payment, Signature, Term
from .uploads import MAX_SCAN_BYTES


class TermForm(VersionForm):
    kind = forms.ChoiceField(choices=Term.Kind.choices, widget=forms.RadioSelect)
    responsible = forms.ModelChoiceField(queryset=Party.objects.none(), label="Responsible offender", empty_label=None)
    description = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.DecimalField(required=False, max_digits=12, decimal_places=2, min_value=0, label="Total amount")
    installment_count = forms.IntegerField(required=False, min_value=1, max_value=120, label="Number of installments")
    frequency = forms.ChoiceField(choices=[("", "—"), *Term.Frequency.choices], required=False)
    first_due_date = BoundedDateField(required=False, widget=DateInput(), label="First installment due")
    hours = forms.DecimalField(required=False, max_digits=6, decimal_places=2, min_value=0, label="Hours")
    due_date = BoundedDateField(
        required=False,
        widget=DateInput(),
        label="Due date",
        help_text="For money, the last installment's date is used.",
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this case's offenders: another case's party is an invalid choice.
        self.fields["responsible"].queryset = Party.objects.filter(case=case, role=Party.Role.OFFENDER).select_related(
            "person"
        )
        self.fields["responsible"].label_from_instance = lambda p: str(p.person)


class SignatureForm(forms.Form):
    method = forms.ChoiceField(choices=Signature.Method.choices, widget=forms.RadioSelect, initial="drawn")
    drawn = forms.CharField(required=False, widget=forms.HiddenInput, max_length=1_500_000)
    typed_name = forms.CharField(required=False, max_length=200, label="Type the signer's full name")
    consent = forms.BooleanField(
        required=False, label="The signer agrees to sign this agreement electronically by typing their name"
    )
    scan = forms.FileField(
        required=False, label="Scan of the wet-signed copy", help_text="PDF, PNG or JPEG, at most 10 MB."
    )

    def clean_scan(self):
        upload = self.cleaned_data.get("scan")
        if upload and upload.size > MAX_SCAN_BYTES:
            raise forms.ValidationError(f"The scan is {upload.size / 1_048_576:.1f} MB; at most 10 MB is accepted.")
        return upload


class AmendForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="Why is it amended?")


class VerifyForm(forms.Form):
    copy = forms.FileField(label="A copy of the signed PDF to check")


class _TermForm(forms.Form):
    term = forms.ModelChoiceField(queryset=Term.objects.none(), empty_label=None)
    KINDS: set[str] = set()

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this agreement's terms of the right kind: anything else posted is an invalid choice.
        self.fields["term"].queryset = agreement.terms.filter(kind__in=self.KINDS)
        self.fields["term"].label_from_instance = lambda t: f"{t.get_kind_display()}: {t.description[:50]}"
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.initial = timezone.localdate()


class PaymentForm(_TermForm):
    KINDS = {Term.Kind.MONEY}
    amount = forms.DecimalField(max_digits=12, decimal_places=2)
    received_on = BoundedDateField(widget=DateInput(), label="Received on")
    method = forms.ChoiceField(choices=Payment.Method.choices)
    reference = forms.CharField(max_length=100, required=False)


class DisbursementForm(_TermForm):
    KINDS = {Term.Kind.MONEY}
    amount = forms.DecimalField(max_digits=12, decimal_places=2)
    paid_on = BoundedDateField(widget=DateInput(), label="Forwarded on")
    method = forms.ChoiceField(choices=Payment.Method.choices)
    reference = forms.CharField(max_length=100, required=False)


class ServiceLogForm(_TermForm):
    KINDS = {Term.Kind.COMMUNITY_SERVICE, Term.Kind.SERVICE_TO_VICTIM}
    on = BoundedDateField(widget=DateInput(), label="Date")
    hours = forms.DecimalField(max_digits=5, decimal_places=2)
    place = forms.CharField(max_length=200)
    verified_by = forms.CharField(max_length=200, label="Verified by")


class TermCheckForm(_TermForm):
    KINDS = {Term.Kind.APOLOGY, Term.Kind.BEHAVIOUR, Term.Kind.OTHER, Term.Kind.SERVICE_TO_VICTIM}
    on = BoundedDateField(widget=DateInput(), label="Date")
    fulfilled = forms.BooleanField(required=False, label="The term is now fulfilled")
    note = forms.CharField(max_length=500, required=False)


class ConsentForm(forms.Form):
    on = BoundedDateField(widget=DateInput(), label="Written consent of every party recorded on")


class ReturnForm(VersionForm):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
