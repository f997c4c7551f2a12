"""Start-up behaviour of the settings module, checked in fresh interpreter processes."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": "x" * 20 + "-production-secret-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "vom.example.org",
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    dropped = {
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }  # the last is set for Playwright
    environ = {k: v for k, v in os.environ.items() if k not in dropped}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", DEBUG="False", ALLOWED_HOSTS="vom.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_manage("check", DEBUG="False", SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is off" in result.stderr


def test_unsupported_database_url_names_the_variable():
    result = run_manage("check", DATABASE_URL="mysql://root@127.0.0.1/vom")
    assert result.returncode != 0
    assert "DATABASE_URL has the scheme 'mysql'" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_embedded_defaults_use_sqlite_eager_celery_and_file_email():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND, s.DEBUG)"
    )
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL", "DEBUG"}
    }
    environ["DJANGO_SETTINGS_MODULE"] = "vom.settings"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.filebased.EmailBackend",
        "True",
    ]


def test_configured_services_are_used():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, "
        "s.CACHES['default']['BACKEND'], s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_USE_TLS)"
    )
    environ = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="vom.settings",
        DATABASE_URL="postgres://vom:secret@db.internal:5432/vom",
        REDIS_URL="redis://cache.internal:6379/0",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.internal:587",
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "False",
        "redis://cache.internal:6379/0",
        "django.core.cache.backends.redis.RedisCache",
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.internal",
        "True",
    ]


def test_every_setting_read_from_the_environment_is_documented():
    import re

    names = set(re.findall(r'env\.(?:str|bool|int|list|path)\("([A-Z_]+)"', (ROOT / "vom" / "settings.py").read_text()))
    names |= {"DATABASE_URL"}
    readme, example = (ROOT / "README.md").read_text(), (ROOT / ".env.example").read_text()
    assert names, "no environment variables found"
    assert sorted(n for n in names if n not in readme) == []
    assert sorted(n for n in names if n not in example and n != "VOM_READ_DOT_ENV") == []
