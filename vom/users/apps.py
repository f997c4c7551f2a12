from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "vom.users"
    label = "users"
    verbose_name = "Users"

    def ready(self):
        from . import receivers  # noqa: F401
