from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "vom.core"
    label = "core"
    verbose_name = "Operations"

    def ready(self):
        from .prepared import use_preparing_cursor

        connection_created.connect(use_preparing_cursor, dispatch_uid="vom.core.prepared")
