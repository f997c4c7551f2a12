from django import forms
from django.utils import timezone

from cases.forms import DateInput, VersionForm
from cases.models import Party
from mediation.forms import DateTimeInput
from mediation.models import ContactAttempt
from vom.core.dates import BoundedDateField, BoundedDateTimeField
from vom.core.i18n import ENGLISH, LANGUAGE_NAMES
from vom.core.once import OneTimeTokenMixin

from .models import Payment, Signature, Term
from .uploads import MAX_SCAN_BYTES
from .verification import normalise_code


class TermForm(VersionForm):
    kind = forms.ChoiceField(choices=Term.Kind.choices, widget=forms.RadioSelect)
    responsible = forms.ModelChoiceField(queryset=Party.objects.none(), label="Responsible offender", empty_label=None)
    description = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.DecimalField(required=False, max_digits=12, decimal_places=2, min_value=0, label="Total amount")
    schedule = forms.ChoiceField(
        choices=Term.Schedule.choices, widget=forms.RadioSelect, required=False, initial=Term.Schedule.EQUAL,
        label="How the money is paid",
    )  # fmt: skip
    installment_count = forms.IntegerField(
        required=False, min_value=1, max_value=120, label="Number of installments", help_text="Equal installments."
    )
    period_amount = forms.DecimalField(
        required=False, max_digits=12, decimal_places=2, min_value=0, label="Amount each period",
        help_text="A fixed amount each period until the total is paid; the last installment is smaller.",
    )  # fmt: skip
    frequency = forms.ChoiceField(choices=[("", "—"), *Term.Frequency.choices], required=False)
    first_due_date = BoundedDateField(required=False, widget=DateInput(), label="First installment due")
    hours = forms.DecimalField(
        required=False, max_digits=6, decimal_places=2, min_value=0, label="Hours",
        help_text="Community service or service to the victim: the hours to do, verified as they are done.",
    )  # fmt: skip
    due_date = BoundedDateField(
        required=False,
        widget=DateInput(),
        label="Due date",
        help_text="For money, the last installment's date is used.",
    )

    def __init__(self, *args, case, fixed_kind: str = "", languages: list[str] = (), **kwargs):
        """``languages``: the agreement's languages; each one but English gets its own description box (the
        mediator writes the text in each; sending for signatures waits until every one is written)."""
        super().__init__(*args, **kwargs)
        self.languages = [language for language in languages if language != ENGLISH]
        fields = dict(self.fields)
        self.fields = {}
        for name, field in fields.items():
            self.fields[name] = field
            if name == "description":
                field.label = "Description (English)" if self.languages else "Description"
                for language in self.languages:
                    self.fields[f"description_{language}"] = forms.CharField(
                        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3, "lang": language}),
                        label=f"Description ({LANGUAGE_NAMES.get(language, language)})",
                        help_text="The same term as the parties who read this language will read and sign it.",
                    )  # fmt: skip
        # Only this case's offenders: another case's party is an invalid choice.
        self.fields["responsible"].queryset = Party.objects.filter(case=case, role=Party.Role.OFFENDER).select_related(
            "person"
        )
        self.fields["responsible"].label_from_instance = lambda p: str(p.person)
        if fixed_kind:  # editing: a term's kind stays what it is
            del self.fields["kind"]

    def clean(self):
        data = super().clean()
        data["translations"] = {language: data.pop(f"description_{language}", "") or "" for language in self.languages}
        return data

    @classmethod
    def initial_for(cls, term: Term, version: int) -> dict:
        names = ["description", "amount", "schedule", "installment_count", "period_amount", "frequency",
                 "first_due_date", "hours", "due_date"]  # fmt: skip
        translations = {f"description_{language}": text for language, text in (term.translations or {}).items()}
        return {name: getattr(term, name) for name in names} | translations | {
            "responsible": term.responsible_id, "version": version}  # fmt: skip


class InstallmentRowForm(forms.Form):
    due_on = BoundedDateField(required=False, widget=DateInput(), label="Due on")
    amount = forms.DecimalField(required=False, max_digits=12, decimal_places=2, label="Amount")

    def clean(self):
        data = super().clean()
        if (data.get("due_on") is None) != (data.get("amount") is None) and not self.errors:
            raise forms.ValidationError("Give both the date and the amount of this installment, or neither.")
        return data


InstallmentRowFormSet = forms.formset_factory(InstallmentRowForm, extra=0, max_num=120, absolute_max=120)
CUSTOM_ROWS_SHOWN = 6


def installment_rows(data=None, *, rows: list | None = None, more: int = 0):
    """The custom schedule's rows: what was posted (``more`` empty rows added), or a term's installments."""
    if data is not None and "rows-TOTAL_FORMS" in data:
        formset = InstallmentRowFormSet(data, prefix="rows")
        if more and formset.is_valid():
            kept = [f.cleaned_data for f in formset.forms if f.cleaned_data.get("due_on")]
            formset = InstallmentRowFormSet(prefix="rows", initial=kept + [{}] * more)
            formset.extra = 0
        return formset
    initial = [{"due_on": day, "amount": amount} for day, amount in rows or []]
    initial += [{}] * max(CUSTOM_ROWS_SHOWN - len(initial), 2)
    return InstallmentRowFormSet(prefix="rows", initial=initial)


def custom_rows(formset) -> list:
    if not formset.is_bound:
        return []
    return [(f.cleaned_data["due_on"], f.cleaned_data["amount"]) for f in formset.forms if f.cleaned_data.get("due_on")]


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
    interpreter_name = forms.CharField(
        required=False, max_length=200, label="Interpreter's name (and agency)",
        help_text="The interpreter who interpreted the agreement to the signer, here now.",
    )  # fmt: skip
    interpreter_attests = forms.BooleanField(
        required=False, label="The interpreter confirms: “I interpreted this agreement to the signer, who said they "
        "understood it.”",
    )  # fmt: skip

    def __init__(self, *args, own_signature: bool = False, uses_code: bool = False, interpreter: str = "", **kwargs):
        """``own_signature``: a mediator signing as themselves confirms it is them (``credential``): the code
        of their authenticator app when they use one, else their password. Parties need no credential.
        ``interpreter``: the language a party signs through an interpreter in (their attestation is asked)."""
        super().__init__(*args, **kwargs)
        if not interpreter:
            del self.fields["interpreter_name"], self.fields["interpreter_attests"]
        else:
            self.fields["interpreter_name"].label = f"{interpreter} interpreter's name (and agency)"
        if not own_signature:
            del self.fields["credential"]
        elif uses_code:
            self.fields["credential"].label = "Your 6-digit code from your authenticator app"
            self.fields["credential"].help_text = "Your signature is given only by you: confirm it is you."
            self.fields["credential"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "one-time-code"})
        else:
            self.fields["credential"].label = "Your password"
            self.fields["credential"].help_text = "Your signature is given only by you: confirm it is you."

    def signature_values(self) -> dict:
        """What ``services.signature_add`` takes from the form (the scan as its bytes)."""
        data = self.cleaned_data
        return {
            "method": data["method"],
            "typed_name": data["typed_name"],
            "consent": data["consent"],
            "drawn": data["drawn"],
            "scan": data["scan"].read() if data["scan"] else None,
            "credential": data.get("credential", ""),
            "interpreter_name": data.get("interpreter_name", ""),
            "interpreter_attests": data.get("interpreter_attests", False),
        }

    def clean_scan(self):
        upload = self.cleaned_data.get("scan")
        if upload and upload.size > MAX_SCAN_BYTES:
            raise forms.ValidationError(f"The scan is {upload.size / 1_048_576:.1f} MB; at most 10 MB is accepted.")
        return upload


class AmendForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="Why is it amended?")

    def __init__(self, *args, languages: list[str] = (), **kwargs):
        """The reason is printed on the amendment: written again in each of its languages but English."""
        super().__init__(*args, **kwargs)
        self.languages = [language for language in languages if language != ENGLISH]
        for language in self.languages:
            self.fields[f"reason_{language}"] = forms.CharField(
                max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "lang": language}),
                label=f"Why is it amended? ({LANGUAGE_NAMES.get(language, language)})",
            )  # fmt: skip

    def reason_translations(self) -> dict:
        return {language: self.cleaned_data.get(f"reason_{language}", "") for language in self.languages}


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

    def __init__(self, *args, agreement, terms=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only these terms (by default the agreement's) of the right kind: anything else posted is an invalid choice.
        terms = agreement.terms.all() if terms is None else terms
        self.fields["term"].queryset = terms.filter(kind__in=self.KINDS).select_related("responsible__person")
        self.fields["term"].label_from_instance = lambda t: (
            f"{t.get_kind_display()}: {t.description[:50]} ({t.responsible.person})"
        )
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

    def __init__(self, *args, agreement, terms=None, **kwargs):
        super().__init__(*args, agreement=agreement, terms=terms, **kwargs)
        # Service to the victim with hours is followed by its logged hours, not by a check.
        self.fields["term"].queryset = self.fields["term"].queryset.exclude(
            kind=Term.Kind.SERVICE_TO_VICTIM, hours__gt=0
        )


class ConsentForm(forms.Form):
    on = BoundedDateField(widget=DateInput(), label="Written consent of every party recorded on")


class FollowUpContactForm(forms.Form):
    """A contact attempt with the offender side about a missed item, during follow-up."""

    party = forms.ModelChoiceField(queryset=Party.objects.none(), empty_label=None, label="Who")
    regarding = forms.ChoiceField(label="About", required=False)
    at = BoundedDateTimeField(widget=DateTimeInput(), label="When")
    method = forms.ChoiceField(choices=ContactAttempt.Method.choices, label="How")
    result = forms.ChoiceField(choices=ContactAttempt.Result.choices)
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, case, missed: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = (
            Party.objects.filter(case=case, role__in=[Party.Role.OFFENDER, Party.Role.GUARDIAN])
            .select_related("person")
            .in_display_order()
        )
        self.fields["party"].label_from_instance = lambda p: f"{p.person} ({p.get_role_display().lower()})"
        self.fields["regarding"].choices = [(item, item) for item in missed] + [
            ("", "Something else (say in the note)")
        ]
        self.fields["at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["regarding"].initial = missed[0] if missed else ""


class ReturnForm(VersionForm):
    parties = forms.ModelMultipleChoiceField(
        queryset=Party.objects.none(), widget=forms.CheckboxSelectMultiple, label="Return",
        help_text="Those whose part of the agreement is not being kept. The others' parts go on being followed.",
    )  # fmt: skip
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, offenders: list[Party], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = Party.objects.filter(pk__in=[p.pk for p in offenders]).select_related(
            "person"
        )
        self.fields["parties"].label_from_instance = lambda p: str(p.person)
        self.fields["parties"].initial = [p.pk for p in offenders]


class MinimiseForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that this party's contact details, free-text reasons and notes about them are removed "
        "for good; only their age band, gender and ethnicity are kept for statistics."
    )
    reason = forms.CharField(max_length=500, label="Why now", widget=forms.Textarea(attrs={"rows": 2}))
