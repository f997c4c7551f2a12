from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from .models import Case
from .selectors import get_case_for_user, user_roles

CASELOAD_PAGE_SIZE = 50


@require_GET
@login_required
def home(request):
    """Send each role to its own start page."""
    roles = user_roles(request.user)
    if roles.is_coordinator or roles.is_mediator or request.user.is_superuser:
        return redirect("cases:list")
    return render(request, "cases/home_no_program.html", {"is_admin": roles.is_admin})


@require_GET
@login_required
def case_list(request):
    roles = user_roles(request.user)
    stage = request.GET.get("stage", "")
    cases = Case.objects.visible_to(request.user).for_caseload()
    if stage in Case.Stage.values:
        cases = cases.filter(stage=stage)
    else:
        stage = ""
    page = Paginator(cases, CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    title = "Caseload" if roles.is_coordinator or request.user.is_superuser else "My cases"
    return render(
        request,
        "cases/case_list.html",
        {"page": page, "title": title, "stage": stage, "stages": Case.Stage.choices},
    )


@require_GET
@login_required
def case_detail(request, pk: int):
    case = get_case_for_user(request.user, pk, Case.objects.for_case_page())
    return render(request, "cases/case_detail.html", {"case": case})
