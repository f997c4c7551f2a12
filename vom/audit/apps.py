from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "vom.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        # Sign-in events come from django.contrib.auth's own signals: the one place every sign-in passes.
        from . import receivers  # noqa: F401
