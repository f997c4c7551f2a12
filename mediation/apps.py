from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = "Mediation"

    def ready(self):
        from cases.extensions import CaseExtension, MoveHandler, Panel, register

        from . import demo, facts, guards, next_actions, panels, reminders, retention, services

        register(
            CaseExtension(
                app="mediation",
                load_facts=facts.load_mediation_facts,
                case_annotations=facts.case_annotations,
                party_annotations=facts.party_annotations,
                moves=(
                    MoveHandler("begin_preparation", guard=guards.screening_gaps,
                                perform=services.case_begin_preparation),
                    MoveHandler("close_after_screening", guard=guards.guard_close_after_screening,
                                perform=services.case_close_after_screening),
                    MoveHandler("begin_session", guard=guards.guard_begin_session, perform=services.case_begin_session),
                    MoveHandler("record_agreement", guard=guards.guard_record_agreement,
                                perform=services.case_record_agreement),
                    MoveHandler("close_without_agreement", guard=guards.guard_close_without_agreement,
                                perform=services.case_close_without_agreement),
                ),
                panels=(
                    Panel("team", "mediation/panel_team.html", order=10, load=panels.team_panel),
                    Panel("screening", "mediation/panel_screening.html", order=20, load=panels.screening_panel),
                    Panel("meetings", "mediation/panel_meetings.html", order=30, load=panels.meetings_panel),
                ),
                next_actions=next_actions.next_actions,
                case_next_actions=next_actions.case_next_actions,
                anonymise=retention.mediation_case_anonymise,
                seed_demo=demo.seed_mediation,
                notification_templates=reminders.NOTIFICATION_TEMPLATES,
            )
        )  # fmt: skip
