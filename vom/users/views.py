"""Two-factor sign-in pages: the code page, setting up an authenticator app, backup codes, the
account's security page. Who must pass them is decided by ``SecondFactorMiddleware``."""

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from vom.core.errors import DomainError

from . import selectors, services
from .forms import LockoutAuthenticationForm, SecondFactorCodeForm
from .lockout import KNOWN_DEVICE_COOKIE, KNOWN_DEVICE_DAYS, known_device_value

SHOW_CODES_KEY = "vom_backup_codes_to_show"


def _next_url(request) -> str:
    """Where to go once the second factor is done: ``next`` if it points into this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def qr_svg(data: str) -> str:
    """The QR code as inline SVG: no script, no inline style, so the strict CSP holds."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    # Safe to mark: the markup is qrcode's own <svg><path d="…"></svg>; the data is encoded as geometry,
    # never copied in as text (tests/vom/test_two_factor.py checks the markup).
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308  # nosec B308 B703


class SignInView(LoginView):
    """Username and password, refused while a lock holds; a browser that signs in is remembered as a known
    device of that user, so a lock set by someone else never keeps them out (vom/users/lockout.py)."""

    authentication_form = LockoutAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        response.set_cookie(
            KNOWN_DEVICE_COOKIE,
            known_device_value(form.get_user()),
            max_age=KNOWN_DEVICE_DAYS * 24 * 3600,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    step = selectors.second_factor_step(request.user)
    if step != "verify":
        return redirect(_with_next("users:two_factor_setup", _next_url(request)) if step else _next_url(request))
    form = SecondFactorCodeForm(request.POST or None, backup=True)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.second_factor_verify(request=request, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            if isinstance(device, StaticDevice):
                left = selectors.backup_codes_left(request.user)
                messages.warning(request, f"You used a backup code; {left} left. Make new ones under Two-factor.")
            return redirect(_next_url(request))
    return render(request, "users/two_factor_verify.html", {"form": form, "next": _next_url(request)})


@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    next_url = _next_url(request)
    try:
        device = services.totp_setup_start(user=request.user)
    except DomainError:
        return redirect(_with_next("users:two_factor_verify", next_url))
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_setup_confirm(request=request, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            request.session[SHOW_CODES_KEY] = codes
            messages.success(request, "Two-factor sign-in is on. Keep your backup codes somewhere safe.")
            return redirect(_with_next("users:two_factor_backup_codes", next_url))
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": qr_svg(selectors.otpauth_uri(device)),
        "secret": selectors.secret_in_groups(device),
        "required": selectors.two_factor_required(request.user),
        "replacing": selectors.authenticator_for(request.user) is not None,
    }
    return render(request, "users/two_factor_setup.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def backup_codes(request):
    """New codes are shown once, right after they are made; afterwards only how many are left."""
    if request.method == "POST":
        if selectors.authenticator_for(request.user) is None:
            messages.error(request, "Set up an authenticator app first.")
            return redirect("users:two_factor")
        request.session[SHOW_CODES_KEY] = services.backup_codes_renew(request=request)
        messages.success(request, "New backup codes made; the old ones no longer work.")
        return redirect("users:two_factor_backup_codes")
    codes = request.session.pop(SHOW_CODES_KEY, None)
    context = {
        "codes": [f"{code[:5]}-{code[5:]}" for code in codes or []],
        "has_authenticator": selectors.authenticator_for(request.user) is not None,
        "left": selectors.backup_codes_left(request.user),
        "next": _next_url(request),
    }
    return render(request, "users/two_factor_backup_codes.html", context)


def _security_page(request, turn_off_form):
    user = request.user
    authenticator = selectors.authenticator_for(user)
    context = {
        "authenticator": authenticator,
        "required": selectors.two_factor_required(user),
        "backup_codes_left": selectors.backup_codes_left(user) if authenticator else 0,
        "turn_off_form": turn_off_form,
    }
    return render(request, "users/two_factor.html", context)


@login_required
def security(request):
    return _security_page(request, SecondFactorCodeForm(autofocus=False))


@require_POST
@login_required
def turn_off(request):
    form = SecondFactorCodeForm(request.POST, autofocus=False)
    if form.is_valid():
        try:
            services.two_factor_turn_off(request=request, code=form.cleaned_data["code"])
        except DomainError as exc:
            if exc.code in {"required", "no_device"}:  # not about the code: nothing on the page to correct
                messages.error(request, exc.message)
                return redirect("users:two_factor")
            form.add_error("code", exc.message)
        else:
            messages.success(request, "Two-factor sign-in is off. Your password alone now signs you in.")
            return redirect("users:two_factor")
    return _security_page(request, form)
