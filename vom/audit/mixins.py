"""Django admin pages of case data are in the audit trail, as the app's own pages are.

``AuditedAdminMixin`` goes first in the bases of every ModelAdmin that shows case data (a case, its
parties, notes, screenings, meetings, agreements, payments, survey records, notifications). Each opened
change page, delete confirmation and history, each list (with its search and filters) and each saved
change is one audit event, naming the case where the record has one. Admin pages of other records
(programs, users) are covered by the audit middleware for their changes.
"""

from django.contrib import admin

from vom.core.dates import BoundedDatesAdminMixin

from .models import AuditEvent
from .services import audit_record


class AuditedAdminMixin:
    # The lookup from this model to its case's id ("case_id" for a record with a case foreign key, "pk" for
    # the case itself, "agreement__case_id" …); None for records that belong to no one case.
    case_lookup: str | None = "case_id"

    def _label(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}"

    def _case_id_of(self, object_id) -> int | None:
        if self.case_lookup is None or object_id is None:
            return None
        try:
            return self.model._default_manager.filter(pk=object_id).values_list(self.case_lookup, flat=True).first()
        except (ValueError, TypeError):
            return None  # a malformed id: the admin answers it itself

    def _record(self, request, response, what: str, object_id=None) -> None:
        status = response.status_code
        if request.method == "GET" and status == 200:
            action = AuditEvent.Action.VIEW
        elif request.method == "POST" and 300 <= status < 400:
            action = AuditEvent.Action.CHANGE
        else:
            return  # a refused page or a form shown again with its errors: nothing seen or changed
        audit_record(request=request, action=action, what=f"admin: {what}", case_id=self._case_id_of(object_id))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        self._record(request, response, f"{self._label()} {object_id or 'add'}", object_id)
        return response

    def delete_view(self, request, object_id, extra_context=None):
        case_id = self._case_id_of(object_id)  # read before the record is gone
        response = super().delete_view(request, object_id, extra_context)
        if response.status_code in {200, 302}:
            action = AuditEvent.Action.VIEW if request.method == "GET" else AuditEvent.Action.CHANGE
            audit_record(request=request, action=action, what=f"admin: delete {self._label()} {object_id}",
                         case_id=case_id)  # fmt: skip
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._record(request, response, f"history of {self._label()} {object_id}", object_id)
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "POST":
            what = f"action {request.POST.get('action', '')!r} on the list of {self._label()}"
        else:
            query = request.GET.urlencode()
            what = f"list of {self._label()}" + (f"; search and filters: {query}" if query else "")
        self._record(request, response, what)
        return response


class CaseDataAdmin(AuditedAdminMixin, BoundedDatesAdminMixin, admin.ModelAdmin):
    """The base of every ModelAdmin that shows case data: audited, with typed dates bounded."""
