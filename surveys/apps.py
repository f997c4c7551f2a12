from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Satisfaction surveys"

    def ready(self):
        from cases import registry

        from . import services

        registry.register_anonymiser(services.survey_case_anonymise)
