from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.forms import DateInput, VersionForm
from cases.models import Case, Party
from vom.core.dates import BoundedDateTimeField, bounded_formfield
from vom.core.i18n import LANGUAGE_NAMES, PARTY_LANGUAGES

from .models import ContactAttempt, Meeting, Screening, ShuttleRound, TimeLog
from .selectors import interpreter_needs, meeting_parties
from .services import SCREENING_FIELDS


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class AssignForm(VersionForm):
    lead = forms.ModelChoiceField(queryset=None, label="Lead mediator", empty_label="Choose the lead mediator")
    co = forms.ModelChoiceField(queryset=None, required=False, label="Co-mediator", empty_label="No co-mediator")
    confirm_conflicts = forms.BooleanField(
        required=False,
        label="I have read the warnings and assign anyway",
        help_text="Needed only when a warning shows.",
    )

    def __init__(self, *args, mediators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = mediators
        self.fields["co"].queryset = mediators
        for name in ("lead", "co"):
            self.fields[name].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self):
        data = super().clean()
        if data.get("lead") and data.get("co") and data["lead"] == data["co"]:
            self.add_error("co", "The co-mediator must be someone other than the lead mediator.")
        return data


class ContactAttemptForm(forms.ModelForm):
    class Meta:
        model = ContactAttempt
        formfield_callback = bounded_formfield
        fields = ["at", "method", "result", "note"]
        widgets = {"at": DateTimeInput(), "note": forms.Textarea(attrs={"rows": 2})}
        labels = {"at": "When"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class ScreeningForm(forms.ModelForm):
    """The readiness checklist; which questions show depends on the party's role."""

    VICTIM = ["willing_to_meet", "willing_indirect", "safety_concerns", "safety_plan"]
    OFFENDER = ["acknowledges_responsibility", "willing_to_make_amends"]
    GUARDIAN = ["guardian_consents"]

    class Meta:
        model = Screening
        formfield_callback = bounded_formfield
        fields = ["screened_on", *SCREENING_FIELDS, "outcome", "reason"]
        widgets = {
            "screened_on": DateInput(),
            "consent_given_on": DateInput(),
            "safety_concerns": forms.Textarea(attrs={"rows": 2}),
            "safety_plan": forms.Textarea(attrs={"rows": 2}),
            "reason": forms.Textarea(attrs={"rows": 2}),
            "outcome": forms.RadioSelect,
        }
        labels = {
            "acknowledges_responsibility": "Acknowledges responsibility (or does not deny it)",
            "consent_given_on": "Consent given on (needed when suitable)",
            "reason": "Reason (needed unless suitable)",
        }

    victim_updates = forms.BooleanField(
        required=False,
        label="Wants progress updates by email",
        help_text="How restitution goes: money forwarded, a missed payment followed up, the plan amended, completion. "
        "Needs consent to contact by email (the party's details).",
    )

    def __init__(self, *args, party: Party, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["screened_on"].initial = timezone.localdate()
        if party.role in {Party.Role.VICTIM, Party.Role.VICTIM_REPRESENTATIVE}:
            self.fields["victim_updates"].initial = party.victim_updates
        else:
            del self.fields["victim_updates"]
        self.fields["outcome"].choices = Screening.Outcome.choices  # no blank radio button
        keep = {
            Party.Role.VICTIM: self.VICTIM,
            Party.Role.VICTIM_REPRESENTATIVE: self.VICTIM,
            Party.Role.OFFENDER: self.OFFENDER,
            Party.Role.GUARDIAN: self.GUARDIAN,
        }.get(party.role, [])
        for name in self.VICTIM + self.OFFENDER + self.GUARDIAN:
            if name not in keep:
                del self.fields[name]

    def answers(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("screened_on", "outcome", "reason", "victim_updates"):
            data.pop(name, None)
        return data


class HttpsURLField(forms.URLField):
    """A typed address without a scheme is taken as https (video links are)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        formfield_callback = bounded_formfield
        fields = ["scheduled_for", "duration_minutes", "location", "video_link", "attendees", "mediators",
                  "interpreter", "interpreter_language"]  # fmt: skip
        field_classes = {"video_link": HttpsURLField}
        widgets = {
            "scheduled_for": DateTimeInput(),
            "attendees": forms.CheckboxSelectMultiple,
            "mediators": forms.CheckboxSelectMultiple,
        }
        labels = {
            "scheduled_for": "Date and time",
            "location": "Place",
            "mediators": "Facilitated by",
            "interpreter": "Interpreter booked (name or agency)",
            "interpreter_language": "Interpreter's language",
        }
        help_texts = {"interpreter": "For an attendee who needs one. Leave empty if not yet booked: the meeting, the "
                      "case page and your next actions will say so until it is."}  # fmt: skip

    def __init__(self, *args, case: Case, kind: str, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheduled_for"].required = required
        # Only this case's parties and mediators can be chosen; anything else posted is an invalid choice.
        parties = meeting_parties(case.pk, kind)
        self.fields["attendees"].queryset = parties
        self.fields["attendees"].label_from_instance = lambda p: f"{p.person} ({p.get_role_display().lower()})"
        team = [u for u in (case.lead_mediator, case.co_mediator) if u]
        self.fields["mediators"].queryset = get_user_model().objects.filter(pk__in=[u.pk for u in team])
        self.fields["mediators"].label_from_instance = lambda u: u.get_full_name() or u.username
        # What a mediator would otherwise type each time: the invited side, the team, the usual place and length.
        self.fields["attendees"].initial = [p.pk for p in parties]
        self.fields["mediators"].initial = [u.pk for u in team]
        self.fields["location"].initial = case.program.usual_meeting_place
        needed = interpreter_needs(None, parties)  # the invited who need an interpreter: ask for theirs
        if needed:
            names = " and ".join(LANGUAGE_NAMES.get(code, code) for code in needed)
            self.fields["interpreter_language"].initial = needed[0]
            self.fields["interpreter"].help_text = (
                f"{names} interpreter needed. Leave empty if not yet booked: the meeting, the case page and your next "
                "actions will say so until it is."
            )
        if kind == Meeting.Kind.JOINT:  # preparation meetings keep the model's hour
            self.fields["duration_minutes"].initial = case.program.joint_session_minutes


class InterpreterForm(VersionForm):
    interpreter = forms.CharField(max_length=200, label="Interpreter booked (name or agency)")
    interpreter_language = forms.ChoiceField(choices=[("", "—"), *PARTY_LANGUAGES], required=False,
                                             label="Interpreter's language")  # fmt: skip


class HoldForm(VersionForm):
    summary = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}), label="What happened"
    )
    hopes = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="What this side hopes to achieve",
    )
    restitution_ideas = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Restitution this side would consider",
    )
    outcome = forms.ChoiceField(choices=[("", "—"), *Meeting.Outcome.choices], required=False, widget=forms.RadioSelect)
    continue_on = BoundedDateTimeField(required=False, widget=DateTimeInput(), label="Continues on (if continued)")
    attendees = forms.ModelMultipleChoiceField(
        queryset=Party.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Who attended"
    )

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        # The meeting's side only (the offender's preparation never lists the victim), the invited ticked.
        self.fields["attendees"].queryset = meeting_parties(meeting.case_id, meeting.kind)
        self.fields["attendees"].label_from_instance = lambda p: f"{p.person} ({p.get_role_display().lower()})"
        self.fields["attendees"].initial = [p.pk for p in meeting.attendees.all()]
        if meeting.is_prep:
            del self.fields["outcome"], self.fields["continue_on"]
        else:
            del self.fields["hopes"], self.fields["restitution_ideas"]


class CancelForm(VersionForm):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    no_show = forms.BooleanField(required=False, label="A party did not come (no-show)")
    for_good = forms.BooleanField(required=False, label="Cancelled for good: the session will not take place")


class RescheduleForm(VersionForm):
    scheduled_for = BoundedDateTimeField(widget=DateTimeInput(), label="New date and time")


class WaiveForm(forms.Form):
    side = forms.ChoiceField(
        choices=[("offender", "Offender side"), ("victim", "Victim side")], widget=forms.RadioSelect
    )
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ShuttleForm(forms.ModelForm):
    class Meta:
        model = ShuttleRound
        formfield_callback = bounded_formfield
        fields = ["held_on", "direction", "form", "summary", "concludes"]
        widgets = {"held_on": DateInput(), "summary": forms.Textarea(attrs={"rows": 3}), "direction": forms.RadioSelect}
        labels = {"held_on": "Date", "form": "What was carried", "concludes": "Does this conclude the mediation?"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()
        self.fields["concludes"].choices = [("", "No, exchanges continue"), *ShuttleRound.Concludes.choices]


class ModeForm(VersionForm):
    mode = forms.ChoiceField(choices=Case.Mode.choices, widget=forms.RadioSelect)
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class TimeLogForm(forms.ModelForm):
    class Meta:
        model = TimeLog
        formfield_callback = bounded_formfield
        fields = ["on", "minutes", "activity", "note"]
        widgets = {"on": DateInput()}
        labels = {"on": "Date"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
