from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Benchmarks, the load test and the helpers that serve the app and sign in over HTTP.

    Installed only when ``VOM_DEVTOOLS`` is on (by default with ``DEBUG``; CI turns it on). It sits on
    top of every app and nothing imports it (the import-linter contract in pyproject.toml).
    """

    name = "devtools"
    verbose_name = "Development tools"
