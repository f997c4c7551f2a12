from django import forms

from cases.forms import DateInput
from vom.core.dates import BoundedDateField

from .periods import Period


class PeriodForm(forms.Form):
    """Which program and which referral period a dashboard or report covers."""

    program = forms.ModelChoiceField(queryset=None, empty_label=None)
    start = BoundedDateField(widget=DateInput(), label="Referred from")
    end = BoundedDateField(widget=DateInput(), label="Referred to")

    def __init__(self, data, *, programs, default: Period):
        first = programs.first()
        initial = {"program": first.pk if first else None, "start": default.start, "end": default.end}
        # Whatever the address leaves out comes from the defaults, so a bare URL shows a report.
        merged = {**{k: v for k, v in initial.items() if v is not None}, **{k: v for k, v in data.items() if v}}
        super().__init__(merged)
        self.fields["program"].queryset = programs

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The period ends before it starts: choose an end date on or after the start.")
        return data

    @property
    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])

    def query(self) -> str:
        from urllib.parse import urlencode

        data = self.cleaned_data
        return urlencode({"program": data["program"].pk, "start": data["start"], "end": data["end"]})
