from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Agreements"

    def ready(self):
        from cases.extensions import CaseExtension, MoveHandler, Panel, register
        from vom.core.read_models import ReadModel
        from vom.core.read_models import register as register_read_model

        from . import (  # noqa: F401 (receivers connect themselves)
            demo,
            facts,
            follow_up,
            letters,
            next_actions,
            panels,
            receivers,
            reminders,
            retention,
            services,
            victim_updates,
        )

        register(
            CaseExtension(
                app="agreements",
                load_facts=facts.load_agreement_facts,
                case_annotations=facts.case_annotations,
                moves=(
                    MoveHandler("begin_follow_up", guard=services.guard_begin_follow_up,
                                perform=services.case_begin_follow_up),
                    # Completion happens by itself once every offender's part is fulfilled or returned.
                    MoveHandler("complete", perform=follow_up.close_if_done, on_case_page=False,
                                page="recording the last fulfilled item (agreements.follow_up.close_if_done)"),
                    MoveHandler("return_to_source", perform=follow_up.case_return_to_source,
                                permission="return_to_source", on_case_page=False, page="agreements:return"),
                ),
                panels=(Panel("agreement", "agreements/panel_agreement.html", order=40, load=panels.agreement_panel),),
                next_actions=next_actions.next_actions,
                case_next_actions=next_actions.case_next_actions,
                # Every closure, whichever app's move makes it: the letter to the referral source, the victim's update.
                on_close=(letters.closure_letter, victim_updates.victim_update_closed),
                # Every move and reassignment: the follow-up summaries copy the stage and the mediators.
                on_case_change=(follow_up.follow_up_case_changed,),
                anonymise=retention.agreements_case_anonymise,
                seed_demo=demo.seed_agreements,
                notification_templates=reminders.NOTIFICATION_TEMPLATES | victim_updates.NOTIFICATION_TEMPLATES,
            )
        )  # fmt: skip
        register_read_model(
            ReadModel(
                name="follow-up summary",
                description="FollowUpSummary: a followed agreement's fulfilment, next due date and money outstanding",
                keys=follow_up.follow_up_summary_keys,
                differences=follow_up.follow_up_summary_differences,
                rebuild=follow_up.follow_up_summary_rebuild,
            )
        )
