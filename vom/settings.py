"""Settings for VOM Case Manager.

One file, one ``environ.Env()``. With nothing configured the app runs on embedded defaults
(SQLite under ./var/, Celery eager, email to files under ./var/mail, DEBUG on). Production differs
only through the environment; README.md documents every variable.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
# .env is read only when asked for, so a stray file never changes a deployment silently.
if env.bool("VOM_READ_DOT_ENV", default=False):
    env.read_env(str(BASE_DIR / ".env"))


def _required(name: str) -> str:
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set when DEBUG is off (production). See README.md, 'Configuration'."
        )
    return value


DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-0123456789")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
else:
    SECRET_KEY = _required("SECRET_KEY")
    ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "vom.users",
    "vom.core",
    "vom.notifications",
    "vom.audit",
    "cases",
    "mediation",
    "agreements",
    "surveys",
    "reports",
]
# Benchmarks, the load test and their helpers (devtools/): development and CI only, never in production.
VOM_DEVTOOLS = env.bool("VOM_DEVTOOLS", default=DEBUG)
if VOM_DEVTOOLS:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "vom.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): this session passed a code
    "django.contrib.messages.middleware.MessageMiddleware",
    "vom.users.middleware.IdleTimeoutMiddleware",
    "vom.users.middleware.SecondFactorMiddleware",  # after idle sign-out: a signed-out user owes nothing
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vom.core.middleware.FriendlyMethodNotAllowedMiddleware",
    "vom.audit.middleware.AuditChangesMiddleware",
]

ROOT_URLCONF = "vom.urls"
WSGI_APPLICATION = "vom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% url %} with each address reversed once per process (vom/core/reversing.py).
            "builtins": ["vom.core.templatetags.urls_once"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cases.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_SUPPORTED_DB_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql", "postgis"}
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
_db_scheme = urlsplit(DATABASE_URL).scheme
if _db_scheme not in _SUPPORTED_DB_SCHEMES:
    raise ImproperlyConfigured(
        f"DATABASE_URL has the scheme {_db_scheme!r}; use postgres://user:password@host:port/name "
        "or sqlite:////absolute/path.sqlite3."
    )
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections, checked before reuse so a restarted server is survived without
    # restarting the app.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=5)
    # No JIT compilation: the app's queries run in milliseconds, and PostgreSQL's cost estimate for the
    # reports' per-term sums crossed jit_above_cost, so each paid ~25 ms compiling code to save less.
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
else:
    # SQLite: wait for a writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# The by-key reads compiled once per process are also prepared once per connection (vom/core/prepared.py);
# off behind a pooler that does not keep prepared statements (PgBouncer in transaction mode
# needs 1.22 or later with max_prepared_statements above 0).
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# Without a broker, tasks run eagerly in-process: the embedded default needs no Redis.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # tasks record their effects in the database
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_DEFAULT_RETRY_DELAY = 30
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Bound how long a publish may block when Redis is unreachable.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": 3600,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "vom.core.tasks.record_heartbeat", "schedule": 60.0},
    "purge-form-submissions": {"task": "vom.core.tasks.purge_form_submissions", "schedule": 24 * 3600.0},
    "plan-meeting-reminders": {"task": "mediation.tasks.plan_meeting_reminders_task", "schedule": 15 * 60.0},
    "plan-follow-up-reminders": {"task": "agreements.tasks.plan_follow_up_reminders_task", "schedule": 60 * 60.0},
    "plan-case-reminders": {"task": "cases.tasks.plan_case_reminders_task", "schedule": 60 * 60.0},
    "plan-survey-invitations": {"task": "surveys.tasks.plan_survey_invitations_task", "schedule": 60 * 60.0},
    "dispatch-notifications": {"task": "vom.notifications.tasks.dispatch_notifications", "schedule": 60.0},
    "anonymise-expired-cases": {"task": "cases.tasks.anonymise_expired_cases_task", "schedule": 24 * 3600.0},
}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Email ----------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
# A mail server that stops answering must not hold a worker (or a notification's claim) for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# How long a worker's claim on a notification lasts; a worker that died leaves it to be sent after this.
# Keep it well above EMAIL_TIMEOUT, or a slow send could be taken over and sent twice.
NOTIFICATION_CLAIM_SECONDS = env.int("NOTIFICATION_CLAIM_SECONDS", default=300)
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")  # links in emails, the address on signed PDFs

# --- Text messages --------------------------------------------------------------------------
# Unset: each text is written to a file under ./var/sms/. twilio://SID:TOKEN@api.twilio.com?from=%2B1…
# sends through Twilio (vom/notifications/sms.py); the same token checks the signature of its webhooks.
SMS_URL = env.str("SMS_URL", default="")
SMS_TIMEOUT = env.int("SMS_TIMEOUT", default=15)
# The region a phone number without a leading + is read in (ISO 3166 code), unless the program sets its own.
PHONE_REGION = env.str("PHONE_REGION", default="US")
# The public verification page (/verify/): lookups per client address per window, counted in the cache.
VERIFY_RATE_LIMIT = env.int("VERIFY_RATE_LIMIT", default=20)
VERIFY_RATE_WINDOW_MINUTES = env.int("VERIFY_RATE_WINDOW_MINUTES", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="VOM Case Manager <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:home"
LOGOUT_REDIRECT_URL = "login"
# The audit middleware (vom/audit/middleware.py): URL namespaces whose ``pk`` is a case (a page read there is a
# view of that case), and namespaces whose pages show people's data in aggregate (every read is recorded).
VOM_AUDIT_CASE_NAMESPACES = ["cases", "mediation", "agreements"]
VOM_AUDIT_READ_NAMESPACES = ["reports"]
# Besides admins, who must sign in with a second factor: (user) -> bool checks, by dotted path, so vom/users
# asks the programs' roles without importing the app that holds them.
VOM_TWO_FACTOR_ROLE_CHECKS = ["cases.selectors.membership_requires_two_factor"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2

# Two-factor sign-in (django-otp): who must use it is decided in vom/users/selectors.py. A wrong code
# doubles the wait before the next one is looked at (1, 2, 4 … seconds per device).
OTP_TOTP_ISSUER = "VOM Case Manager"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)  # absolute: fixed at sign-in
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
LOGIN_LOCKOUT_FAILURES = env.int("LOGIN_LOCKOUT_FAILURES", default=5)  # per account and address
LOGIN_ADDRESS_LOCKOUT_FAILURES = env.int("LOGIN_ADDRESS_LOCKOUT_FAILURES", default=20)  # per address, any account
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "vom.core.views.csrf_failure"

# --- Security headers (production values come on with DEBUG off) --------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env.bool("USE_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Internationalisation -------------------------------------------------------------------
# Staff pages are English; what parties read is rendered in their language (vom/core/i18n.py).
LANGUAGE_CODE = "en-us"
# The languages with a complete message catalogue in locale/ (docs/languages.md says how to add one).
LANGUAGES = [("en", "English"), ("es", "Spanish")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The territory money, dates and numbers are formatted for, with each party's language (Babel: es_US).
LOCALE_TERRITORY = env.str("LOCALE_TERRITORY", default="US")
TIME_ZONE = env.str("TIME_ZONE", default="America/Chicago")
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media-not-public/"  # uploads are only served through views that check access
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Logging: to stderr, so gunicorn and the process manager collect it ---------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # runserver prints its own start-up lines; the root handler would repeat them.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.utils.autoreload": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # per-step progress at INFO
        "fontTools": {"level": "WARNING"},
        "twilio": {"level": "WARNING"},  # every request and its headers at INFO
    },
}
