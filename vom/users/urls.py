from django.urls import path

from . import views

app_name = "users"

urlpatterns = [
    path("accounts/two-factor/", views.security, name="two_factor"),
    path("accounts/two-factor/code/", views.verify, name="two_factor_verify"),
    path("accounts/two-factor/set-up/", views.setup, name="two_factor_setup"),
    path("accounts/two-factor/backup-codes/", views.backup_codes, name="two_factor_backup_codes"),
    path("accounts/two-factor/turn-off/", views.turn_off, name="two_factor_turn_off"),
]
