from django import forms
from django.utils import timezone

from cases.forms import DateInput, VersionForm
from cases.models import Party
from vom.core.dates import BoundedDateField
from vom.core.once import OneTimeTokenMixin

from .models import Payment, Signature, Term
from .uploads import MAX_SCAN_BYTES
from .verification import normalise_code


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
    credential = forms.CharField(
        required=False, max_length=200, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args, own_signature: bool = False, uses_code: bool = False, **kwargs):
        """``own_signature``: a mediator signing as themselves confirms it is them (``credential``): the code
        of their authenticator app when they use one, else their password. Parties need no credential."""
        super().__init__(*args, **kwargs)
        if not own_signature:
            del self.fields["credential"]
        elif uses_code:
            self.fields["credential"].label = "Your 6-digit code from your authenticator app"
            self.fields["credential"].help_text = "Your signature is given only by you: confirm it is you."
            self.fields["credential"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "one-time-code"})
        else:
            self.fields["credential"].label = "Your password"
            self.fields["credential"].help_text = "Your signature is given only by you: confirm it is you."

    def clean_scan(self):
        upload = self.cleaned_data.get("scan")
        if upload and upload.size > MAX_SCAN_BYTES:
            raise forms.ValidationError(f"The scan is {upload.size / 1_048_576:.1f} MB; at most 10 MB is accepted.")
        return upload


class AmendForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="Why is it amended?")


class VerifyForm(forms.Form):
    copy = forms.FileField(label="A copy of the signed PDF to check")


class PublicVerifyForm(forms.Form):
    """The public page: a code as printed, and optionally a copy to compare (field order matters: the copy
    comes last in the posted body, so the code is read even when the copy is refused for its size)."""

    code = forms.CharField(
        max_length=60,
        label="Verification code",
        help_text="Printed at the foot of every page of a signed agreement, e.g. 1A2B-3C4D-5E6F-7A8B-9C0D.",
    )
    copy = forms.FileField(
        required=False,
        label="A copy of the PDF to compare (optional)",
        help_text="It is compared with the stored signed PDF byte for byte and not kept.",
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError("A verification code is five groups of four letters (A to F) and digits.")
        return code


class _TermForm(OneTimeTokenMixin, forms.Form):
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
