from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Satisfaction surveys"

    def ready(self):
        from cases import registry

        from . import demo, panels, services

        registry.register_panel("surveys", template="surveys/panel_surveys.html", order=50, load=panels.survey_panel)
        registry.register_demo_seeder(demo.seed_surveys)
        registry.register_anonymiser(services.survey_case_anonymise)
