"""WSGI entry for `manage.py loadtest`: the real application plus the bare comparison view.

The URLconf is devtools.bench_urls (the bare view in front of every real pattern), so the mix and the bare
view are served by the same processes with the same middleware, settings and database.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vom.settings")
settings.ROOT_URLCONF = "devtools.bench_urls"

application = get_wsgi_application()
