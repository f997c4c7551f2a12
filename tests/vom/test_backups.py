"""`manage.py backup` and `manage.py restore` on the embedded SQLite default, and every refusal.

Each command runs as its own process (as an operator runs it) against SQLite files and media folders in a
temporary folder, so these tests are the same whether the rest of the suite runs on SQLite or PostgreSQL.
The PostgreSQL path is proven end to end by the restore drill (tests/drills/test_backup_restore.py).
"""

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from devtools.serve import free_port
from tests.conftest import ROOT


def embedded_env(folder: Path, name: str, **extra) -> dict[str, str]:
    """The embedded default (SQLite, eager Celery, mail to files), on a database and media folder of its own."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"}}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DATABASE_URL=f"sqlite:///{folder / name}.sqlite3",
        MEDIA_ROOT=str(folder / f"{name}-media"),
        EMAIL_URL=f"filemail:///{folder / 'mail'}",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if ok:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def refused(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0, done.stdout[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.stdout + done.stderr


def tables_and_rows(path: Path) -> dict[str, list]:
    with sqlite3.connect(path) as db:
        names = [
            r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        ]
        rows = {name: db.execute(f'SELECT * FROM "{name}"').fetchall() for name in names}  # noqa: S608
        return {name: sorted(found, key=repr) for name, found in rows.items()}


def table_count(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def age_key(folder: Path, name: str) -> tuple[str, Path]:
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    path = folder / f"{name}.key"
    path.write_text(f"# created for the test\n# public key: {identity.to_public()}\n{identity}\n")
    return str(identity.to_public()), path


def rewrite(backup: Path, target: Path, change) -> Path:
    """Copy a backup member by member, letting ``change(name, data)`` return new bytes for one of them."""
    with tarfile.open(backup) as source, tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as out:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A seeded embedded installation (8 demo cases, two signed agreement PDFs) and a plain and an encrypted
    backup of it."""
    folder = tmp_path_factory.mktemp("backups")
    env = embedded_env(folder, "source")
    manage("migrate", "-v0", env=env)
    manage("seed_demo", "--cases", "8", env=env)
    backups = folder / "out"
    manage("backup", "--output", str(backups), env=env)
    public, identity = age_key(folder, "right")
    manage("backup", "--output", str(folder / "encrypted"), "--encrypt-to", public, env=env)
    return {
        "folder": folder,
        "env": env,
        "db": folder / "source.sqlite3",
        "media": folder / "source-media",
        "backup": next(backups.glob("vom-backup-*.tar")),
        "encrypted": next((folder / "encrypted").glob("vom-backup-*.tar.age")),
        "identity": identity,
    }


@pytest.fixture
def target(source, tmp_path):
    """An empty installation to restore into."""
    return {"env": embedded_env(tmp_path, "restored"), "db": tmp_path / "restored.sqlite3",
            "media": tmp_path / "restored-media"}  # fmt: skip


def test_backup_is_one_file_whose_manifest_describes_it(source):
    backup = source["backup"]
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in backup.parent.iterdir()] == [backup.name]  # no .partial, no work folder left
    with tarfile.open(backup) as tar:
        assert tar.getnames() == ["manifest.json", "database.sqlite3", "media.tar"]
        manifest = json.loads(tar.extractfile("manifest.json").read())
        for name, entry in manifest["files"].items():
            assert hashlib.sha256(tar.extractfile(name).read()).hexdigest() == entry["sha256"]
    assert manifest["format"] == "vom-backup" and manifest["app"]["version"] == "0.1.0"
    assert manifest["database"]["vendor"] == "sqlite" and manifest["encrypted"] is False
    with sqlite3.connect(source["db"]) as db:
        applied = db.execute("SELECT app, name FROM django_migrations").fetchall()
        assert manifest["tables"]["cases_case"] == db.execute("SELECT count(*) FROM cases_case").fetchone()[0] == 8
    assert sorted((app, name) for app, names in manifest["migrations"].items() for name in names) == sorted(applied)
    assert {k: len(v) for k, v in tables_and_rows(source["db"]).items()} == manifest["tables"]
    media = files_in(source["media"])
    assert any(name.startswith("agreements/") and name.endswith(".pdf") for name in media)
    assert manifest["media"] == {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)} for name, data in media.items()
    }


def test_restore_into_an_empty_installation_brings_back_every_row_and_file(source, target):
    done = manage("restore", str(source["backup"]), env=target["env"])
    assert "ready to serve" in done.stdout
    assert "2 PDF(s) checked, 0 problem(s)" in done.stdout
    assert "rows: all" in done.stdout and "migrations: the" in done.stdout
    assert tables_and_rows(target["db"]) == tables_and_rows(source["db"])
    assert files_in(target["media"]) == files_in(source["media"])
    # The restored installation works: the signed PDFs check out against their recorded hashes.
    assert "0 problem(s)" in manage("verify_agreement_pdfs", env=target["env"]).stdout


def test_an_encrypted_backup_restores_only_with_its_key(source, target, tmp_path):
    assert not source["encrypted"].read_bytes().startswith(b"manifest.json")  # nothing readable without the key
    message = refused(manage("restore", str(source["encrypted"]), env=target["env"], ok=False))
    assert "is encrypted: pass --identity" in message
    _, wrong = age_key(tmp_path, "wrong")
    message = refused(
        manage("restore", str(source["encrypted"]), "--identity", str(wrong), env=target["env"], ok=False)
    )
    assert "Cannot decrypt" in message and "the key does not match" in message
    assert table_count(target["db"]) == 0 and not target["media"].exists()

    manage("restore", str(source["encrypted"]), "--identity", str(source["identity"]), env=target["env"])
    assert tables_and_rows(target["db"]) == tables_and_rows(source["db"])
    assert files_in(target["media"]) == files_in(source["media"])


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(source):
    before = source["db"].read_bytes()
    message = refused(manage("restore", str(source["backup"]), env=source["env"], ok=False))
    assert "is not empty" in message and "--force" in message
    assert source["db"].read_bytes() == before


def test_restore_refuses_a_media_folder_that_is_not_empty(source, target):
    target["media"].mkdir()
    (target["media"] / "left-over.pdf").write_bytes(b"%PDF-1.7 someone else's")
    message = refused(manage("restore", str(source["backup"]), env=target["env"], ok=False))
    assert f"The media folder {target['media']} is not empty" in message
    assert table_count(target["db"]) == 0
    assert files_in(target["media"]) == {"left-over.pdf": b"%PDF-1.7 someone else's"}


def test_restore_with_force_replaces_what_is_there(source, target):
    manage("restore", str(source["backup"]), env=target["env"])
    (target["media"] / "stray.txt").write_text("not in the backup")
    with sqlite3.connect(target["db"]) as db:
        db.execute("DELETE FROM cases_note")
    manage("restore", str(source["backup"]), "--force", env=target["env"])
    assert tables_and_rows(target["db"]) == tables_and_rows(source["db"])
    assert files_in(target["media"]) == files_in(source["media"])


def test_restore_refuses_a_truncated_backup_with_a_clear_message(source, target, tmp_path):
    data = source["backup"].read_bytes()
    with tarfile.open(source["backup"]) as tar:
        last = tar.getmembers()[-1]
    # In the manifest, in the middle, and inside the last file (a copy that stopped short of the end).
    for cut in (700, len(data) // 2, last.offset_data + last.size // 2):
        truncated = tmp_path / f"cut-{cut}.tar"
        truncated.write_bytes(data[:cut])
        message = refused(manage("restore", str(truncated), env=target["env"], ok=False))
        assert "truncated or damaged" in message and "nothing was restored" in message, message
    assert table_count(target["db"]) == 0 and not target["media"].exists()


def test_restore_refuses_an_encrypted_backup_that_was_cut_short(source, target, tmp_path):
    data = source["encrypted"].read_bytes()
    truncated = tmp_path / "cut.tar.age"
    truncated.write_bytes(data[: len(data) - 100])
    message = refused(
        manage("restore", str(truncated), "--identity", str(source["identity"]), env=target["env"], ok=False)
    )
    assert "Cannot decrypt" in message and "truncated or altered" in message
    assert table_count(target["db"]) == 0


def test_restore_refuses_a_backup_with_an_altered_file(source, target, tmp_path):
    def flip_one_byte_of_a_pdf(name: str, data: bytes) -> bytes:
        if name != "media.tar":
            return data
        at = data.index(b"%PDF") + 200
        return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]

    altered = rewrite(source["backup"], tmp_path / "altered.tar", flip_one_byte_of_a_pdf)
    message = refused(manage("restore", str(altered), env=target["env"], ok=False))
    assert "media.tar in altered.tar does not match the SHA-256 in its manifest" in message
    assert table_count(target["db"]) == 0 and not target["media"].exists()


def test_restore_checks_what_it_restored_and_says_not_to_serve_it(source, target, tmp_path):
    """A backup whose files are intact but whose contents disagree with the record: a signed PDF that had been
    changed on the server before the backup (its hash at signing no longer matches) and a row count that
    differs from the manifest's."""
    with tarfile.open(source["backup"]) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        media_bytes = tar.extractfile("media.tar").read()
    pdf = next(name for name in manifest["media"] if name.endswith(".pdf"))
    changed = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(media_bytes)) as media,
        tarfile.open(fileobj=changed, mode="w", format=tarfile.PAX_FORMAT) as out,
    ):
        for member in media:
            data = media.extractfile(member).read()
            if member.name == pdf:
                data = data.replace(b"%%EOF", b"%%EOF\n% changed after signing")
                manifest["media"][pdf] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    new_media = changed.getvalue()
    manifest["files"]["media.tar"] = {"sha256": hashlib.sha256(new_media).hexdigest(), "bytes": len(new_media)}
    manifest["tables"]["cases_case"] = 9

    def replace(name: str, data: bytes) -> bytes:
        return {"manifest.json": json.dumps(manifest).encode(), "media.tar": new_media}.get(name, data)

    done = manage("restore", str(rewrite(source["backup"], tmp_path / "odd.tar", replace)), env=target["env"], ok=False)
    message = refused(done)
    assert "cases_case: 8 rows, manifest 9" in message
    assert "1 stored agreement PDF(s) failed verification" in message and "MISMATCH" in message
    assert "do not serve it" in message


def test_restore_refuses_a_backup_from_a_newer_version_of_the_app(source, target, tmp_path):
    def future_migration(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migrations"]["cases"].append("9999_from_the_future")
        return json.dumps(manifest).encode()

    newer = rewrite(source["backup"], tmp_path / "newer.tar", future_migration)
    message = refused(manage("restore", str(newer), env=target["env"], ok=False))
    assert "made by a newer version of the app" in message and "cases.9999_from_the_future" in message
    assert table_count(target["db"]) == 0


def test_restore_refuses_an_unfinished_backup_and_a_file_that_is_no_backup(source, target, tmp_path):
    partial = tmp_path / f".{source['backup'].name}.partial"
    partial.write_bytes(source["backup"].read_bytes())
    assert "unfinished backup" in refused(manage("restore", str(partial), env=target["env"], ok=False))
    stranger = tmp_path / "photos.tar"
    with tarfile.open(stranger, "w") as tar:
        tar.add(source["db"], arcname="holiday.jpg")
    assert "which no VOM backup has" in refused(manage("restore", str(stranger), env=target["env"], ok=False))
    assert "There is no backup file" in refused(
        manage("restore", str(tmp_path / "none.tar"), env=target["env"], ok=False)
    )


def test_backup_that_fails_exits_non_zero_and_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    unreachable = embedded_env(tmp_path, "x", DATABASE_URL=f"postgres://vom@127.0.0.1:{free_port()}/vom")
    message = refused(manage("backup", "--output", str(out), env=unreachable, ok=False))
    assert "Cannot connect to the database" in message
    assert list(out.iterdir()) == []
    bad_key = manage(
        "backup", "--output", str(out), "--encrypt-to", "age1notakey", env=embedded_env(tmp_path, "y"), ok=False
    )
    assert "is not an age public key" in refused(bad_key)
    assert list(out.iterdir()) == []


def test_backup_of_a_database_never_migrated_and_restore_into_the_wrong_kind_of_database_say_why(source, tmp_path):
    message = refused(manage("backup", "--output", str(tmp_path / "out"), env=embedded_env(tmp_path, "new"), ok=False))
    assert "Is it reachable, and migrated (manage.py migrate)?" in message
    assert list((tmp_path / "out").iterdir()) == []
    unreachable = embedded_env(tmp_path, "x", DATABASE_URL=f"postgres://vom@127.0.0.1:{free_port()}/vom")
    message = refused(manage("restore", str(source["backup"]), env=unreachable, ok=False))
    assert "This backup holds a sqlite database, but DATABASE_URL points at postgresql" in message


def test_backup_keeps_only_the_newest_when_asked(source, tmp_path):
    out = tmp_path / "kept"
    out.mkdir()
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        (out / f"vom-backup-{stamp}.tar").write_bytes(b"an older backup")
    done = manage("backup", "--output", str(out), "--keep", "2", env=source["env"])
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and names[0] == "vom-backup-20260103T000000Z.tar"
    assert "Removed the old backup vom-backup-20260101T000000Z.tar" in done.stdout
