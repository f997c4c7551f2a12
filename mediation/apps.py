from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = "Mediation"

    def ready(self):
        from cases import registry

        from . import demo, guards, next_actions, panels, services

        registry.register_move(
            "begin_preparation", guard=guards.screening_gaps, perform=services.case_begin_preparation
        )
        registry.register_move(
            "close_after_screening",
            guard=guards.guard_close_after_screening,
            perform=services.case_close_after_screening,
        )
        registry.register_move("begin_session", guard=guards.guard_begin_session, perform=services.case_begin_session)
        registry.register_move(
            "record_agreement", guard=guards.guard_record_agreement, perform=services.case_record_agreement
        )
        registry.register_move(
            "close_without_agreement",
            guard=guards.guard_close_without_agreement,
            perform=services.case_close_without_agreement,
        )
        registry.register_panel("team", template="mediation/panel_team.html", order=10, load=panels.team_panel)
        registry.register_panel(
            "screening", template="mediation/panel_screening.html", order=20, load=panels.screening_panel
        )
        registry.register_panel(
            "meetings", template="mediation/panel_meetings.html", order=30, load=panels.meetings_panel
        )
        registry.register_next_actions(next_actions.next_actions)
        registry.register_demo_seeder(demo.seed_mediation)
