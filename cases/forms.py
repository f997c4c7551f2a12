from django import forms
from django.template.loader import render_to_string
from django.utils.translation import get_language

from vom.core.dates import BoundedDateField, bounded_formfield
from vom.core.forms import Fragments, KeptFieldsMixin, LongSelect, RenderedChoices
from vom.core.i18n import ENGLISH, PARTY_LANGUAGES
from vom.core.once import OneTimeTokenMixin
from vom.core.phones import InvalidPhone, shown, to_e164

from .models import CONTACT_FIELDS, Case, OutcomeCheck, Party, Person, Program, ReferralSource
from .services import PartyInput
from .stages import PIPELINE, closing_outcomes


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ReferralForm(OneTimeTokenMixin, forms.ModelForm):
    """The referral part of intake and of the case edit page."""

    program = forms.ModelChoiceField(queryset=Program.objects.none(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Case
        formfield_callback = bounded_formfield
        fields = [
            "referral_source",
            "referral_date",
            "referral_type",
            "court_ordered",
            "referral_reference",
            "court_return_date",
            "offense_category",
            "incident_date",
            "offense_description",
        ]
        widgets = {
            "referral_date": DateInput(),
            "court_return_date": DateInput(),
            "incident_date": DateInput(),
            "offense_description": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"court_ordered": "Court-ordered (otherwise voluntary)"}

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        programs = list(programs)
        self.fields["referral_source"].queryset = ReferralSource.objects.filter(
            program__in=programs, active=True
        ).select_related("program")
        self.fields["referral_source"].empty_label = "Choose a referral source"
        if len(programs) > 1:
            self.fields["program"].queryset = Program.objects.filter(pk__in=[p.pk for p in programs])
            self.fields["program"].required = True
        else:
            del self.fields["program"]
            self.single_program = programs[0] if programs else None
        self.fields["incident_date"].required = True
        self.fields["offense_description"].max_length = 4000

    def referral_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def chosen_program(self) -> Program:
        return self.cleaned_data.get("program") or self.single_program


PHONE_HELP = "With the area code; a number abroad starts with + and the country code."
TEXTS_LABEL = "Agrees to reminders by text message at this number"
TEXTS_HELP = "Ask them. Meeting and payment reminders, never more than two texts' length; they can reply STOP."


class PartyForm(forms.Form):
    """One person's details at intake or when adding a party."""

    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    date_of_birth = BoundedDateField(required=False, widget=DateInput(), past_only=True)
    preferred_language = forms.ChoiceField(choices=PARTY_LANGUAGES, initial=ENGLISH)
    interpreter_needed = forms.BooleanField(required=False)
    accessibility_needs = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    consent_to_contact = forms.BooleanField(
        required=False,
        label="Consents to be contacted the preferred way",
        help_text="Reminders and messages go out only with this consent.",
    )
    contact_method = forms.ChoiceField(
        choices=[("", "—"), *Party.ContactMethod.choices], required=False, label="Preferred way to contact"
    )
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False, help_text=PHONE_HELP)
    consents_to_texts = forms.BooleanField(required=False, label=TEXTS_LABEL, help_text=TEXTS_HELP)
    address = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    victim_updates = forms.BooleanField(
        required=False,
        label="Wants progress updates by email",
        help_text="Money forwarded, a missed payment followed up, the plan amended, completion. Off unless they ask.",
    )
    gender = forms.ChoiceField(choices=[("", "Not recorded"), *Person.Gender.choices], required=False)
    ethnicity = forms.ChoiceField(choices=[("", "Not recorded"), *Person.Ethnicity.choices], required=False)
    VICTIM_ONLY = ("victim_updates",)

    def __init__(self, *args, optional=False, victim_side=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.optional = optional
        if optional:
            self.fields["preferred_language"].required = False
        if not victim_side:
            for name in self.VICTIM_ONLY:
                del self.fields[name]

    def is_filled(self) -> bool:
        if not self.is_bound:
            return False
        return any(self.data.get(self.add_prefix(name), "").strip() for name in ("first_name", "last_name"))

    def clean(self):
        data = super().clean()
        if (not self.optional or self.is_filled()) and not data.get("last_name"):
            self.add_error("last_name", "Enter a last name.")
        return data

    def to_input(self, role: str, related_index: int | None = None, kind: str = Person.Kind.INDIVIDUAL) -> PartyInput:
        data = self.cleaned_data
        return PartyInput(
            role=role,
            kind=kind,
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            organisation_name=data.get("organisation_name", ""),
            date_of_birth=data.get("date_of_birth"),
            preferred_language=data.get("preferred_language") or ENGLISH,
            interpreter_needed=data.get("interpreter_needed", False),
            accessibility_needs=data.get("accessibility_needs", ""),
            consent_to_contact=data.get("consent_to_contact", False),
            contact_method=data.get("contact_method", ""),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            consents_to_texts=data.get("consents_to_texts", False),
            address=data.get("address", ""),
            victim_updates=data.get("victim_updates", False),
            gender=data.get("gender", ""),
            ethnicity=data.get("ethnicity", ""),
            related_index=related_index,
        )


class VictimForm(PartyForm):
    kind = forms.ChoiceField(
        choices=Person.Kind.choices, initial=Person.Kind.INDIVIDUAL, widget=forms.RadioSelect, label="The victim is"
    )
    organisation_name = forms.CharField(max_length=200, required=False, label="Organisation name")
    field_order = ["kind", "organisation_name", "first_name", "last_name", "date_of_birth"]

    def clean(self):
        data = forms.Form.clean(self)
        if data.get("kind") == Person.Kind.ORGANISATION:
            if not data.get("organisation_name"):
                self.add_error("organisation_name", "Enter the organisation's name.")
        elif not data.get("last_name"):
            self.add_error("last_name", "Enter a last name.")
        return data


class IntakeForms:
    """The referral and its parties on one page: the offender, an optional guardian, the victim and, for an
    organisation, its optional representative. Valid only when every form is."""

    def __init__(self, data, *, programs):
        self.referral = ReferralForm(data, programs=programs, prefix="case")
        self.offender = PartyForm(data, prefix="offender")
        self.guardian = PartyForm(data, prefix="guardian", optional=True)
        self.victim = VictimForm(data, prefix="victim", victim_side=True)
        self.representative = PartyForm(data, prefix="rep", optional=True, victim_side=True)
        self.parties_forms = [self.offender, self.guardian, self.victim, self.representative]

    def is_valid(self) -> bool:
        return all(form.is_valid() for form in [self.referral, *self.parties_forms])

    def party_inputs(self) -> list[PartyInput]:
        """In the order the service links them: a guardian stands for the offender, a representative for the victim."""
        parties = [self.offender.to_input(Party.Role.OFFENDER)]
        if self.guardian.is_filled():
            parties.append(self.guardian.to_input(Party.Role.GUARDIAN, related_index=0))
        victim_index = len(parties)
        parties.append(self.victim.to_input(Party.Role.VICTIM, kind=self.victim.cleaned_data["kind"]))
        if self.representative.is_filled():
            parties.append(self.representative.to_input(Party.Role.VICTIM_REPRESENTATIVE, related_index=victim_index))
        return parties

    def context(self) -> dict:
        return {
            "referral": self.referral,
            "offender": self.offender,
            "guardian": self.guardian,
            "victim": self.victim,
            "rep": self.representative,
            "party_errors": any(form.errors for form in self.parties_forms),
        }


class AddPartyForm(PartyForm):
    """Add one more party to a case; guardians and representatives name the party they stand for."""

    ROLE_CHOICES = [
        (Party.Role.OFFENDER, "Offender"),
        (Party.Role.VICTIM, "Victim (a person)"),
        (Party.Role.GUARDIAN, "Parent / guardian of an offender"),
        (Party.Role.VICTIM_REPRESENTATIVE, "Representative of an organisation victim"),
        (Party.Role.SUPPORT, "Support person"),
    ]
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    for_party = forms.ModelChoiceField(
        queryset=Party.objects.none(),
        required=False,
        label="Stands for",
        help_text="For a guardian, representative or support person: the party of this case they accompany.",
    )
    field_order = ["role", "for_party"]

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this case's parties: a party id from another case is refused as an invalid choice.
        self.fields["for_party"].queryset = Party.objects.filter(case=case).select_related("person")
        self.fields["for_party"].label_from_instance = lambda p: f"{p.person} ({p.get_role_display().lower()})"

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role in {Party.Role.GUARDIAN, Party.Role.VICTIM_REPRESENTATIVE, Party.Role.SUPPORT} and not data.get(
            "for_party"
        ):
            self.add_error("for_party", "Choose the party this person stands for.")
        return data


class PartyContactForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    consents_to_texts = forms.BooleanField(required=False, label=TEXTS_LABEL, help_text=TEXTS_HELP)

    class Meta:
        model = Party
        formfield_callback = bounded_formfield
        fields = CONTACT_FIELDS
        widgets = {
            "accessibility_needs": forms.Textarea(attrs={"rows": 2}),
            "address": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"victim_updates": "Wants progress updates by email"}
        help_texts = {
            "victim_updates": "Money forwarded, a missed payment followed up, the plan amended, completion. Every "
            "email carries a link that stops them."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = PHONE_HELP
        self.fields["consents_to_texts"].initial = self.instance.consents_to_texts
        self.region = self.instance.case.program.phone_region if self.instance.case_id else ""
        if self.instance.phone and not self.is_bound:
            self.initial["phone"] = shown(self.instance.phone, self.region)
        self.order_fields([*self.Meta.fields[: self.Meta.fields.index("phone") + 1], "consents_to_texts"])
        if self.instance.role not in {Party.Role.VICTIM, Party.Role.VICTIM_REPRESENTATIVE}:
            del self.fields["victim_updates"]

    def clean_phone(self):
        """As stored (E.164), so an unchanged number is not a change; one recorded before numbers were
        checked stays as it was unless it is edited."""
        typed = self.cleaned_data["phone"].strip()
        if typed == self.instance.phone:
            return typed
        try:
            return to_e164(typed, self.region)
        except InvalidPhone as error:
            raise forms.ValidationError(str(error)) from None


class NoteForm(KeptFieldsMixin, OneTimeTokenMixin, forms.Form):
    KEPT_FIELDS = ("body", "confidential")  # the case page's note form: the same but for its token

    body = forms.CharField(label="Note", max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    confidential = forms.BooleanField(
        required=False, help_text="Confidential notes stay on this page: never in documents, letters or exports."
    )


class VersionForm(forms.Form):
    """For POST-only actions on a case: the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, case: Case | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case


class CloseForm(VersionForm):
    outcome = forms.ChoiceField(choices=[], label="How did the case end?")
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        # Only outcomes that fit the stage, and no preselected answer.
        self.fields["outcome"].choices = [("", "Choose…")] + [(o.value, o.label) for o in closing_outcomes(case.stage)]


class ReopenForm(VersionForm):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


def _id_choice() -> forms.TypedChoiceField:
    """A choice of a record by id among those offered, cleaned to the id (``None`` when not chosen)."""
    return forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, widget=LongSelect,
        error_messages={"invalid_choice": "Select a valid choice. That choice is not one of the available choices."},
    )  # fmt: skip


class CaseloadFilterForm(forms.Form):
    SORTS = {
        "-referral_date": "Newest referral",
        "referral_date": "Oldest referral",
        "number": "Case number",
        "stage_changed_at": "Longest in stage",
    }
    q = forms.CharField(required=False, max_length=100, label="Search")
    stage = forms.ChoiceField(
        choices=[("", "All stages"), ("open", "Any open stage"), *Case.Stage.choices], required=False, widget=LongSelect
    )
    mediator = _id_choice()
    offense = forms.ChoiceField(
        choices=[("", "All offenses"), *Case.OffenseCategory.choices], required=False, widget=LongSelect
    )
    source = _id_choice()
    overdue = forms.BooleanField(
        required=False,
        label="Stuck in its stage",
        help_text="Follow-up cases behind on their agreement: see Follow-up.",
    )
    sort = forms.ChoiceField(choices=list(SORTS.items()), required=False, widget=LongSelect)
    # Narrower filters, mostly reached from the dashboard and the outcome report's figures.
    program = _id_choice()
    referred_from = BoundedDateField(required=False, widget=DateInput(), label="Referred from")
    referred_to = BoundedDateField(required=False, widget=DateInput(), label="Referred to")
    reached = forms.ChoiceField(
        choices=[("", "Any"), *[(s, f"Reached {Case.Stage(s).label.lower()}") for s in PIPELINE[1:]]],
        required=False,
        label="Got as far as",
        widget=LongSelect,
    )
    outcome = forms.ChoiceField(choices=[("", "Any outcome"), *Case.Outcome.choices], required=False, widget=LongSelect)
    mediated = forms.ChoiceField(
        choices=[("", "Either"), ("yes", "Mediated"), ("no", "Referred, not mediated")],
        required=False,
        widget=LongSelect,
    )
    juvenile = forms.ChoiceField(
        choices=[("", "Either"), ("yes", "Juvenile"), ("no", "Adult")], required=False, widget=LongSelect
    )
    MORE = ("program", "referred_from", "referred_to", "reached", "outcome", "mediated", "juvenile")

    def __init__(self, *args, mediators, sources, programs, **kwargs):
        """``mediators``, ``sources``, ``programs``: (id, label) pairs (``cases.selectors.caseload_filter_choices``)."""
        super().__init__(*args, **kwargs)
        for name, empty, choices in [("mediator", "All mediators", mediators), ("source", "All sources", sources),
                                     ("program", "All programs", programs)]:  # fmt: skip
            rendered = choices if isinstance(choices, RenderedChoices) else RenderedChoices(choices)
            self.fields[name].choices = rendered.preceded_by("", empty)

    def clean(self):
        data = super().clean()
        start, end = data.get("referred_from"), data.get("referred_to")
        if start and end and start > end:
            self.add_error("referred_to", "The end of the period is before its start.")
        return data

    def main_fields(self):
        return self._fields_html([name for name in self.fields if name not in self.MORE])

    def more_fields(self):
        return self._fields_html(self.MORE)

    # Each field as cases/_filter_field.html writes it, kept per process while nothing is chosen in it: the same
    # HTML on every request (the fourteen includes and their widgets' templates were about 3 ms of the caseload's
    # time). The key names what the HTML follows from: the language and, for the mediators, sources and programs,
    # the cache key of their choices (``RenderedChoices.key``: the programs' filter versions, which every change
    # to those choices replaces). A field with a value or an error, or whose choices have no key (a mediator's
    # colleagues, read per request), is written afresh.
    FRAGMENTS = Fragments()

    def _fields_html(self, names) -> list[str]:
        return [self._field_html(name) for name in names]

    def _field_html(self, name: str) -> str:
        field = self[name]

        def write():
            return render_to_string("cases/_filter_field.html", {"field": field})

        key = self._fragment_key(name)
        if key is None or field.errors or self.data.get(name) not in (None, ""):
            return write()
        return self.FRAGMENTS.get(key, write)

    def _fragment_key(self, name: str) -> tuple | None:
        choices = getattr(self.fields[name], "choices", None)
        if isinstance(choices, RenderedChoices):
            return (name, choices.key, get_language()) if choices.key else None
        return (name, None, get_language())

    def more_in_use(self) -> bool:
        return any(self.data.get(name) for name in self.MORE)


class OutcomeCheckForm(forms.Form):
    result = forms.ChoiceField(choices=OutcomeCheck.Result.choices, widget=forms.RadioSelect)
    offense_date = BoundedDateField(
        required=False, past_only=True, widget=DateInput(), label="Date of the new offense (if any)"
    )
    source = forms.CharField(max_length=200, help_text="For example: county court records, probation.")
    checked_on = BoundedDateField(widget=DateInput(), label="Checked on", past_only=True)
