from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from vom.audit.models import AuditEvent
from vom.core.dates import BoundedDatesAdminMixin

from . import selectors, services
from .lockout import sign_in_unlock
from .models import User

# django-otp's own admin pages show a device's secret and QR code and let anyone with access add a
# device for another user. Admins here see whether a user has two-factor sign-in and can reset it; no
# secret ever leaves the database.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(User)
class UserAdmin(BoundedDatesAdminMixin, BaseUserAdmin):
    list_display = (
        "username", "email", "first_name", "last_name", "is_active", "is_staff", "has_two_factor", "last_login",
    )  # fmt: skip
    readonly_fields = ("two_factor",)
    fieldsets = (*BaseUserAdmin.fieldsets, ("Two-factor sign-in", {"fields": ("two_factor",)}))
    actions = ["reset_two_factor", "unlock_sign_in", "deactivate"]

    def get_queryset(self, request):
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(has_authenticator=Exists(confirmed))

    @admin.display(boolean=True, description="two-factor", ordering="has_authenticator")
    def has_two_factor(self, obj):
        return obj.has_authenticator

    @admin.display(description="status")
    def two_factor(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        device = selectors.authenticator_for(obj)
        required = "required for this user" if selectors.two_factor_required(obj) else "optional for this user"
        if device is None:
            return f"Not set up ({required})."
        url = reverse("admin:users_user_two_factor_reset", args=[obj.pk])
        return format_html(
            "Authenticator app set up {} ({}); {} backup codes left. <a href='{}'>Reset two-factor sign-in…</a>",
            f"{device.created_at:%Y-%m-%d}",
            required,
            selectors.backup_codes_left(obj),
            url,
        )

    @admin.action(description="Reset two-factor sign-in (lost phone)", permissions=["change"])
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            services.two_factor_reset(user=user, actor=request.user, request=request)
        self.message_user(
            request,
            f"Two-factor sign-in reset for {queryset.count()} user(s); they are signed out and will set up a new "
            "authenticator app at their next sign-in when their role requires it.",
            messages.SUCCESS,
        )

    @admin.action(description="Unlock sign-in (after too many failed attempts)", permissions=["change"])
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            sign_in_unlock(user=user, actor=request.user, request=request)
        self.message_user(
            request,
            f"Sign-in unlocked for {queryset.count()} user(s): earlier failed attempts no longer count for them.",
            messages.SUCCESS,
        )

    @admin.action(description="Deactivate (they can no longer sign in; history is kept)", permissions=["change"])
    def deactivate(self, request, queryset):
        count = queryset.update(is_active=False)
        self.message_user(request, f"{count} account(s) deactivated; their sessions end at their next request.")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # accounts are deactivated, never deleted: see delete_view
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        """An account that appears in the audit trail (anyone who ever signed in) is kept, deactivated: the
        trail is append-only and must keep saying who did what."""
        user = self.get_object(request, object_id)
        if user is not None and AuditEvent.objects.filter(user=user).exists():
            self.message_user(
                request,
                f"{user.get_username()} appears in the audit trail, so the account is kept. To stop them signing "
                "in, untick “Active” and save (or use the list action “Deactivate”).",
                messages.ERROR,
            )
            return redirect(reverse("admin:users_user_change", args=[user.pk]))
        return super().delete_view(request, object_id, extra_context)

    def get_urls(self):
        reset = path(
            "<int:pk>/two-factor-reset/",
            self.admin_site.admin_view(self.two_factor_reset_view),
            name="users_user_two_factor_reset",
        )
        return [reset, *super().get_urls()]

    def two_factor_reset_view(self, request, pk):
        """A confirmation page (GET), then the reset (POST), as Django admin does for deletions."""
        user = get_object_or_404(User, pk=pk)
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        change_url = reverse("admin:users_user_change", args=[user.pk])
        if request.method == "POST":
            services.two_factor_reset(user=user, actor=request.user, request=request)
            self.message_user(
                request,
                f"Two-factor sign-in of {user.get_username()} was reset and their sessions ended.",
                messages.SUCCESS,
            )
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reset two-factor sign-in of {user.get_username()}?",
            "subject": user,
            "opts": self.model._meta,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/users/user/two_factor_reset.html", context)
