"""Every admin page opens for an admin over the demo data, and only for staff."""

from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)  # fmt: skip


# Written only by services: the admin shows them but offers no "add".
READ_ONLY = {
    "workerheartbeat",
    "timelineevent",
    "assignment",
    "case",
    "signature",
    "notification",
    "letter",
    "auditevent",
    "surveyinvitation",
    "surveyresponse",
    "term",  # a draft's terms are edited on the agreement page, through the services
}


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--cases", "12", stdout=StringIO())  # every stage, fewer PDFs to render


@pytest.mark.django_db
@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_admin_pages_open_for_an_admin(client, admin_user, demo, app_label, model_name):
    client.force_login(admin_user)
    changelist = reverse(f"admin:{app_label}_{model_name}_changelist")
    response = client.get(changelist, {"q": "a"})
    assert response.status_code == 200
    model = next(m for m in admin.site._registry if m._meta.model_name == model_name)
    obj = model._default_manager.first()
    if obj is not None:
        assert client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk])).status_code == 200
    add = client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    assert add.status_code == (403 if model_name in READ_ONLY else 200)


@pytest.mark.django_db
def test_admin_is_closed_to_program_staff(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
