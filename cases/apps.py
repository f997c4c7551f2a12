from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self):
        from vom.core.read_models import ReadModel
        from vom.core.read_models import register as register_read_model

        from . import checks, receivers, reminders, services, texts  # noqa: F401 (checks and receivers register themselves)
        from .extensions import CaseExtension, MoveHandler, register

        # The moves that need only case facts; each has a form of its own rather than a button on the case page.
        register(
            CaseExtension(
                app="cases",
                moves=(
                    MoveHandler("assign", perform=services.case_assign, permission="assign", on_case_page=False,
                                page="mediation:assign"),
                    MoveHandler("withdraw", perform=services.case_close, permission="withdraw", on_case_page=False,
                                page="cases:close"),
                    MoveHandler("reopen", perform=services.case_reopen, permission="reopen", on_case_page=False,
                                page="cases:reopen"),
                ),
                notification_templates=reminders.NOTIFICATION_TEMPLATES | texts.NOTIFICATION_TEMPLATES,
            )
        )  # fmt: skip
        register_read_model(
            ReadModel(
                name="juvenile",
                description="Case.juvenile: an offender was under 18 on the incident (or referral) date",
                keys=services.juvenile_keys,
                differences=services.juvenile_differences,
                rebuild=services.refresh_juvenile,
            )
        )
        register_read_model(
            ReadModel(
                name="party names",
                description="Case.party_names: the parties' names the caseload searches (PostgreSQL triggers keep it)",
                keys=services.party_names_keys,
                differences=services.party_names_differences,
                rebuild=services.party_names_rebuild,
            )
        )
