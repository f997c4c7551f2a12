from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Satisfaction surveys"

    def ready(self):
        from cases.extensions import CaseExtension, Panel, register

        from . import demo, facts, panels, services

        register(
            CaseExtension(
                app="surveys",
                load_facts=facts.load_survey_facts,
                case_annotations=facts.case_annotations,
                panels=(Panel("surveys", "surveys/panel_surveys.html", order=50, load=panels.survey_panel),),
                seed_demo=demo.seed_surveys,
                anonymise=services.survey_case_anonymise,
                notification_templates=services.NOTIFICATION_TEMPLATES,
            )
        )
