from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .services import notifications_mark_read


@require_GET
@login_required
def inbox(request):
    """The signed-in user's notifications, newest first; opening the page marks them read."""
    page = Paginator(request.user.notifications.order_by("-due_at", "-pk"), 50).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    notifications_mark_read(user=request.user)
    return render(request, "notifications/inbox.html", {"page": page, "rows": rows})
