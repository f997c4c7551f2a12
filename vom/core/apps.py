from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "vom.core"
    label = "core"
    verbose_name = "Operations"
