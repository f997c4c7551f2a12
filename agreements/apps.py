from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Agreements"

    def ready(self):
        from cases import registry

        from . import demo, letters, next_actions, panels, receivers, services, victim_updates  # noqa: F401

        registry.register_move(
            "begin_follow_up", guard=services.guard_begin_follow_up, perform=services.case_begin_follow_up
        )
        registry.register_panel(
            "agreement", template="agreements/panel_agreement.html", order=40, load=panels.agreement_panel
        )
        registry.register_next_actions(next_actions.next_actions)
        registry.register_demo_seeder(demo.seed_agreements)
        # Every closure, whichever app's move makes it: the letter to the referral source, the victim's update.
        registry.register_closure_listener(letters.closure_letter)
        registry.register_closure_listener(victim_updates.victim_update_closed)
