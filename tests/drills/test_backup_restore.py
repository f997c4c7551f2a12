"""Drill: a backup is proven by restoring it onto another PostgreSQL server and using the app there.

The suite's PostgreSQL plays production: the demo is seeded into the test database (signed agreements with
their stored PDFs), then `manage.py backup` encrypts one backup to an age key. The "new server" is a cluster
made with initdb in a temporary folder; `manage.py restore` puts the backup there and into an empty media
folder, gunicorn serves the app on it with production settings, a mediator signs in through the real pages,
opens the case and downloads its signed agreement: the same bytes as the original, with the SHA-256 recorded
at signing. The audit trail still refuses UPDATE and DELETE there. A backup cut short or with one byte changed
is refused with a message that says so, and the new server is left empty.
"""

import hashlib
import io
import subprocess
import sys
import tarfile
from http.client import HTTPConnection

import psycopg
import pytest

from devtools.serve import DEMO_PASSWORD, production_env, sign_in
from tests.conftest import ROOT

pytestmark = pytest.mark.services


def manage(*args: str, env: dict, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if ok:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def download(client, path: str) -> tuple[int, str, bytes]:
    """GET the raw bytes of a file with the signed-in client's cookies (WebClient decodes text)."""
    conn = HTTPConnection(client.host, client.port, timeout=30)
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    conn.request("GET", path, headers={"X-Forwarded-Proto": "https", "Cookie": cookies})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, response.getheader("content-type", ""), body


def age_identity(folder):
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    path = folder / "backup.key"
    path.write_text(f"{identity}\n")
    return str(identity.to_public()), path


def tables_in(url: str) -> list[str]:
    with psycopg.connect(url) as db:
        return [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]


@pytest.fixture
def production(test_database_url, tmp_path):
    """The test database seeded with the demo (its media in a folder of its own), backed up once, encrypted."""
    env = production_env(
        DATABASE_URL=test_database_url,
        MEDIA_ROOT=str(tmp_path / "production-media"),
        EMAIL_URL=f"filemail:///{tmp_path / 'mail'}",
        REDIS_URL="",
        CELERY_BROKER_URL="",
    )
    manage("seed_demo", "--cases", "8", env=env)
    public, identity = age_identity(tmp_path)
    manage("backup", "--output", str(tmp_path / "backups"), "--encrypt-to", public, env=env)
    return {"env": env, "backup": next((tmp_path / "backups").glob("vom-backup-*.tar.age")), "identity": identity,
            "media": tmp_path / "production-media"}  # fmt: skip


def test_a_backup_restored_on_a_new_server_serves_the_same_signed_agreement(
    production, postgres_cluster, serve, tmp_path
):
    from agreements.models import Agreement

    signed = Agreement.objects.exclude(pdf="").select_related("case__lead_mediator").order_by("pk").first()
    original = (production["media"] / signed.pdf.name).read_bytes()
    assert hashlib.sha256(original).hexdigest() == signed.pdf_sha256

    restored_media = tmp_path / "restored-media"
    env = production_env(DATABASE_URL=postgres_cluster.url, MEDIA_ROOT=str(restored_media))
    done = manage("restore", str(production["backup"]), "--identity", str(production["identity"]), env=env)
    assert "audit trail: the append-only trigger is in place" in done.stdout
    assert "0 problem(s)" in done.stdout and "ready to serve" in done.stdout

    web = serve(DATABASE_URL=postgres_cluster.url, MEDIA_ROOT=str(restored_media))
    mediator = sign_in(web.base_url, signed.case.lead_mediator.username, DEMO_PASSWORD)
    case_page = mediator.get(f"/cases/{signed.case_id}/")
    assert case_page.status == 200 and signed.case.number in case_page.text
    status, content_type, body = download(mediator, f"/cases/{signed.case_id}/agreements/{signed.pk}/signed.pdf")
    assert (status, content_type) == (200, "application/pdf")
    assert body == original

    with psycopg.connect(postgres_cluster.url) as db, pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        db.execute("UPDATE audit_auditevent SET action = action")

    again = manage("restore", str(production["backup"]), "--identity", str(production["identity"]), env=env, ok=False)
    assert again.returncode == 1 and "is not empty" in again.stderr and "--force" in again.stderr
    status, _, body = download(mediator, f"/cases/{signed.case_id}/agreements/{signed.pk}/signed.pdf")
    assert (status, body) == (200, original)  # refused, and nothing changed

    # Replacing everything: the tables, and the functions of the audit trail's and the read models' triggers.
    done = manage("restore", str(production["backup"]), "--identity", str(production["identity"]), "--force", env=env)
    assert "--force" in done.stdout and "0 problem(s)" in done.stdout and "ready to serve" in done.stdout
    mediator = sign_in(web.base_url, signed.case.lead_mediator.username, DEMO_PASSWORD)  # sessions were replaced too
    status, _, body = download(mediator, f"/cases/{signed.case_id}/agreements/{signed.pk}/signed.pdf")
    assert (status, body) == (200, original)


def test_a_truncated_or_altered_backup_is_refused_and_the_new_server_stays_empty(
    production, postgres_cluster, tmp_path
):
    env = production_env(DATABASE_URL=postgres_cluster.url, MEDIA_ROOT=str(tmp_path / "restored-media"))
    data = production["backup"].read_bytes()
    truncated = tmp_path / "truncated.tar.age"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    done = manage("restore", str(truncated), "--identity", str(production["identity"]), env=env, ok=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Cannot decrypt truncated.tar.age" in done.stderr and "truncated or altered" in done.stderr

    # Unencrypted, one byte of the database dump changed (a disk error, or someone's hand).
    import pyrage

    plain = io.BytesIO()
    with production["backup"].open("rb") as encrypted:
        pyrage.decrypt_io(
            encrypted, plain, [pyrage.x25519.Identity.from_str(production["identity"].read_text().strip())]
        )
    plain.seek(0)
    altered = tmp_path / "altered.tar"
    with tarfile.open(fileobj=plain) as source, tarfile.open(altered, "w") as out:
        for member in source:
            content = source.extractfile(member).read()
            if member.name == "database.dump":
                content = content[:5000] + bytes([content[5000] ^ 0x01]) + content[5001:]
            out.addfile(member, io.BytesIO(content))
    done = manage("restore", str(altered), env=env, ok=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "database.dump in altered.tar does not match the SHA-256 in its manifest" in done.stderr

    missing = production_env(DATABASE_URL=postgres_cluster.url + "_not_created", MEDIA_ROOT=str(tmp_path / "m"))
    done = manage(
        "restore", str(production["backup"]), "--identity", str(production["identity"]), env=missing, ok=False
    )
    assert done.returncode == 1 and "Cannot reach the database vom_not_created" in done.stderr, done.stderr

    assert tables_in(postgres_cluster.url) == []
    assert not (tmp_path / "restored-media").exists()
