from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self):
        # vom/users decides who must sign in with a second factor; program roles are facts of this app.
        from vom.users.selectors import register_two_factor_requirement

        from . import receivers  # noqa: F401
        from .selectors import membership_requires_two_factor

        register_two_factor_requirement(membership_requires_two_factor)
