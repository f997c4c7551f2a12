"""Drill: the database roles of deploy/ on a fresh server, followed step by step as the deployment guide says.

A throwaway cluster stands in for the new server's PostgreSQL. deploy/postgres-roles.sql makes the database
with an owner role and an application role; migrate runs as the owner, deploy/postgres-audit-grants.sql takes
UPDATE and DELETE on the audit table away from the application role. The app (seeding the demo writes to every
table) and the daily backup then run as the application role, which cannot change or drop what it does not
own: the audit trail stays append-only even without its trigger. A restore as the owner into a new database
keeps that split.
"""

import subprocess
import sys

import psycopg
import pytest

from devtools.serve import production_env
from tests.conftest import ROOT

pytestmark = pytest.mark.services
OWNER_PASSWORD, APP_PASSWORD = "owner-drill-pw", "app-drill-pw"


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def psql(cluster, database: str, *args: str) -> None:
    done = cluster.run("psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "vom", "-d", database,
                       "-v", "ON_ERROR_STOP=1", *args, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_application_role_owns_nothing_and_a_restore_keeps_it_so(postgres_cluster, tmp_path):
    cluster = postgres_cluster
    cluster.run("dropdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "vom", "vom")  # the guide makes it
    psql(cluster, "postgres", "-v", f"owner_password='{OWNER_PASSWORD}'", "-v", f"app_password='{APP_PASSWORD}'",
         "-f", str(ROOT / "deploy" / "postgres-roles.sql"))  # fmt: skip
    owner_url = f"postgres://vom_owner:{OWNER_PASSWORD}@127.0.0.1:{cluster.port}/vom"
    app_url = f"postgres://vom_app:{APP_PASSWORD}@127.0.0.1:{cluster.port}/vom"
    common = {"MEDIA_ROOT": str(tmp_path / "media"), "EMAIL_URL": f"filemail:///{tmp_path / 'mail'}",
              "REDIS_URL": "", "CELERY_BROKER_URL": ""}  # fmt: skip
    manage("migrate", "-v0", env=production_env(DATABASE_URL=owner_url, **common))
    psql(cluster, "vom", "-f", str(ROOT / "deploy" / "postgres-audit-grants.sql"))

    app_env = production_env(DATABASE_URL=app_url, **common)
    manage("seed_demo", "--cases", "8", env=app_env)
    manage("backup", "--output", str(tmp_path / "backups"), env=app_env)
    backup = next((tmp_path / "backups").glob("vom-backup-*.tar"))

    with psycopg.connect(app_url, autocommit=True) as app:
        for statement in [
            "UPDATE audit_auditevent SET action = action",
            "DELETE FROM audit_auditevent",
            "TRUNCATE audit_auditevent",
            "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
            "DROP TABLE cases_note",
        ]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(statement)

    cluster.run("createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "vom", "-O", "vom_owner", "restored")
    restored_owner = owner_url.rsplit("/", 1)[0] + "/restored"
    restore_env = production_env(DATABASE_URL=restored_owner, **{**common, "MEDIA_ROOT": str(tmp_path / "restored")})
    done = manage("restore", str(backup), env=restore_env)
    assert "ready to serve" in done.stdout
    with psycopg.connect(app_url.rsplit("/", 1)[0] + "/restored", autocommit=True) as app:
        assert app.execute("SELECT count(*) FROM cases_case").fetchone()[0] == 8
        assert app.execute("UPDATE cases_case SET version = version").rowcount == 8  # its rights came back
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("UPDATE audit_auditevent SET action = action")
