"""Backups that describe themselves, and restores that prove them: `manage.py backup` and `manage.py restore`.

One backup is one file, ``vom-backup-<UTC time>.tar`` (``.tar.age`` when encrypted to an age public key):

    manifest.json       format, app version and commit, migrations applied, rows per table, SHA-256 of every file
    database.dump       PostgreSQL: ``pg_dump --format=custom`` of one snapshot (the row counts come from it too)
    database.sqlite3    SQLite: a copy made with SQLite's online backup API
    media.tar           MEDIA_ROOT (signed PDFs, signature images and scans, letters)

It is written under a hidden ``.partial`` name and renamed only when complete, so a backup that was cut short
never looks like one. A restore checks every hash before it changes anything, goes only into an empty database
and media folder (``force`` replaces what is there), and afterwards checks that the migrations and row counts
match the manifest, that every signed agreement's PDF matches its recorded SHA-256 (the ``verify_agreement_pdfs``
command, called by name: ``vom`` imports no domain app), and, on PostgreSQL, that the audit trail's append-only
trigger is in place.

Nothing here imports a domain app: tables come from the database's own catalogue, migrations from Django's.
"""

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import django
import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader

FORMAT = "vom-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_TAR = "media.tar"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
AGE_MAGIC = b"age-encryption.org/v1"
# Made by vom/audit/migrations/0002_append_only_on_postgresql.py; a restore must bring it back.
AUDIT_TRIGGER = "audit_auditevent_no_update_or_delete"
CHUNK = 1 << 20

Progress = Callable[[str], None]


BackupError = CommandError  # a backup or restore that cannot go on; the message says what to do


# --- small helpers ------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(path: Path) -> dict:
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


def human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def app_version() -> dict:
    """The version in pyproject.toml and, in a git checkout, the commit: what to deploy before restoring."""
    base = Path(settings.BASE_DIR)
    version = None
    with contextlib.suppress(OSError, KeyError, tomllib.TOMLDecodeError):
        version = tomllib.loads((base / "pyproject.toml").read_text())["project"]["version"]
    commit = None
    git = shutil.which("git")
    if git and (base / ".git").exists():
        done = subprocess.run(  # noqa: S603 -- fixed arguments
            [git, "-C", str(base), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
        commit = done.stdout.strip() or None if done.returncode == 0 else None
    return {"version": version, "commit": commit, "django": django.get_version()}


def code_migrations() -> set[tuple[str, str]]:
    """Every migration this code knows (on disk), as (app label, name)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def _migration_map(pairs) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for app_label, name in sorted(pairs):
        result.setdefault(app_label, []).append(name)
    return result


def _migration_pairs(mapping: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {(app_label, name) for app_label, names in mapping.items() for name in names}


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _count_rows(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608  # nosec B608 -- a quoted catalogue name
        counts[table] = cursor.fetchone()[0]
    return counts


# --- PostgreSQL client tools ----------------------------------------------------------------------------


def _pg_env() -> dict[str, str]:
    """libpq's environment for the configured database: the password never appears on a command line."""
    s = connection.settings_dict
    env = dict(os.environ)
    for key, value in {
        "PGHOST": s.get("HOST"),
        "PGPORT": str(s.get("PORT") or ""),
        "PGUSER": s.get("USER"),
        "PGPASSWORD": s.get("PASSWORD"),
        "PGDATABASE": s["NAME"],
        "PGSSLMODE": (s.get("OPTIONS") or {}).get("sslmode"),
        "PGCONNECT_TIMEOUT": str((s.get("OPTIONS") or {}).get("connect_timeout") or ""),
    }.items():
        if value:
            env[key] = value
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found: install PostgreSQL's client tools (Debian: postgresql-client).")
    return path


def _run_with_progress(command: list[str], *, env: dict, watch: Path | None, progress: Progress, what: str) -> None:
    """Run a PostgreSQL tool; every 10 s say how large its output has grown; fail with its own words."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)  # noqa: S603
        while True:
            try:
                proc.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                grown = f", {human_size(watch.stat().st_size)} so far" if watch and watch.exists() else ""
                progress(f"  {what}: {time.monotonic() - started:.0f} s{grown}")
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise BackupError(f"{what} failed (exit {proc.returncode}): {stderr[-2000:] or 'no message'}")


# --- making a backup ------------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    seconds: float


def _snapshot_postgresql(work: Path, progress: Progress) -> dict:
    """pg_dump of one exported snapshot; the row counts and migrations are read in that same snapshot."""
    dump = work / DATABASE_FILES["postgresql"]
    s = connection.settings_dict
    params = {"dbname": s["NAME"], "user": s.get("USER") or None, "password": s.get("PASSWORD") or None,
              "host": s.get("HOST") or None, "port": s.get("PORT") or None,
              "sslmode": (s.get("OPTIONS") or {}).get("sslmode")}  # fmt: skip
    try:
        raw = psycopg.connect(**{k: v for k, v in params.items() if v}, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise BackupError(f"Cannot connect to the database {s['NAME']}: {str(exc).strip()}") from exc
    with raw:
        raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        raw.read_only = True
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            tables = connection.introspection.table_names(cursor)
            counts = _count_rows(cursor, tables)
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = cursor.fetchall()
            progress(f"Database: {len(tables)} tables, {sum(counts.values()):,} rows; pg_dump …")
            pg_dump = _pg_tool("pg_dump")
            command = [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password", f"--file={dump}"]
            _run_with_progress(command, env=_pg_env(), watch=dump, progress=progress, what="pg_dump")
            tool = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return {
        "vendor": "postgresql",
        "server_version": server_version,
        "tool": tool.stdout.strip(),
        "file": dump.name,
        "tables": counts,
        "migrations": _migration_map(applied),
    }


def _snapshot_sqlite(work: Path, progress: Progress) -> dict:
    """SQLite's online backup API: a consistent copy while the app keeps running; counts read from the copy."""
    copy = work / DATABASE_FILES["sqlite"]
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    try:
        connection.connection.backup(target, pages=4096)  # copies in steps; writers wait only per step
        cursor = target.cursor()
        tables = [
            row[0]
            for row in cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = _count_rows(cursor, tables)
        applied = cursor.execute("SELECT app, name FROM django_migrations").fetchall()
        version = cursor.execute("SELECT sqlite_version()").fetchone()[0]
    finally:
        target.close()
    progress(f"Database: {len(tables)} tables, {sum(counts.values()):,} rows (SQLite online backup)")
    return {
        "vendor": "sqlite",
        "server_version": version,
        "tool": f"sqlite3 backup API (Python {sqlite3.sqlite_version})",
        "file": copy.name,
        "tables": counts,
        "migrations": _migration_map(applied),
    }


def _snapshot(work: Path, progress: Progress) -> dict:
    makers = {"postgresql": _snapshot_postgresql, "sqlite": _snapshot_sqlite}
    if connection.vendor not in makers:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
    try:
        return makers[connection.vendor](work, progress)
    except (DatabaseError, sqlite3.Error, psycopg.Error) as exc:
        raise BackupError(
            f"Reading the database {connection.settings_dict['NAME']} failed: {str(exc).strip()}. "
            "Is it reachable, and migrated (manage.py migrate)?"
        ) from exc


def _media_tar(work: Path, progress: Progress) -> dict[str, dict]:
    """MEDIA_ROOT as one tar; the SHA-256 of each file is taken from the very bytes put in the tar."""
    root = Path(settings.MEDIA_ROOT)
    files: dict[str, dict] = {}
    with tarfile.open(work / MEDIA_TAR, "w", format=tarfile.PAX_FORMAT) as tar:
        paths = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()) if root.is_dir() else []
        for number, path in enumerate(paths, 1):
            name = path.relative_to(root).as_posix()
            info = tar.gettarinfo(str(path), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with path.open("rb") as handle:
                reader = _HashingReader(handle)
                tar.addfile(info, reader)
            files[name] = {"sha256": reader.hexdigest(), "bytes": info.size}
            if number % 1000 == 0:
                progress(f"  media: {number:,} of {len(paths):,} files")
    total = sum(entry["bytes"] for entry in files.values())
    progress(f"Media: {len(files):,} files, {human_size(total)}")
    return files


class _HashingReader(io.RawIOBase):
    def __init__(self, handle):
        self.handle, self.digest = handle, hashlib.sha256()

    def read(self, size=-1):
        data = self.handle.read(size)
        self.digest.update(data)
        return data

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def parse_recipients(values: list[str]):
    import pyrage

    recipients = []
    for value in values:
        try:
            recipients.append(pyrage.x25519.Recipient.from_str(value.strip()))
        except pyrage.RecipientError as exc:
            raise BackupError(f"{value!r} is not an age public key (age1…): {exc}") from exc
    return recipients


def create_backup(*, folder: Path, recipients: list[str], progress: Progress, keep: int | None = None) -> BackupResult:
    """Write one complete backup into ``folder``, or nothing that looks like one (see the module docstring)."""
    started = time.monotonic()
    age_recipients = parse_recipients(recipients) if recipients else []
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    final = folder / f"vom-backup-{stamp}.tar{'.age' if age_recipients else ''}"
    if final.exists():
        raise BackupError(f"{final} already exists; wait a second and run the backup again.")
    partial = folder / f".{final.name}.partial"
    work = Path(tempfile.mkdtemp(prefix=".vom-backup-work-", dir=folder))  # same disk, mode 0700
    try:
        snapshot = _snapshot(work, progress)
        database_file = work / snapshot.pop("file")
        tables, migrations = snapshot.pop("tables"), snapshot.pop("migrations")
        media = _media_tar(work, progress)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "app": app_version(),
            "database": {**snapshot, "file": database_file.name},
            "migrations": migrations,
            "tables": tables,
            "files": {database_file.name: file_entry(database_file), MEDIA_TAR: file_entry(work / MEDIA_TAR)},
            "media": media,
            "encrypted": bool(age_recipients),
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        progress(f"Writing {final.name} …")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            if age_recipients:
                import pyrage

                plain = work / "backup.tar"
                _write_outer_tar(plain, work, database_file.name)
                with plain.open("rb") as source:
                    pyrage.encrypt_io(source, out, age_recipients)
            else:
                _write_outer_tar(out, work, database_file.name)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
        _fsync(folder)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if keep:
        _prune(folder, keep, progress)
    seconds = time.monotonic() - started
    progress(f"Backup complete: {final} ({human_size(final.stat().st_size)}, {seconds:.1f} s)")
    return BackupResult(final, manifest, seconds)


def _write_outer_tar(target, work: Path, database_name: str) -> None:
    kwargs = {"name": str(target)} if isinstance(target, Path) else {"fileobj": target}
    with tarfile.open(mode="w", format=tarfile.PAX_FORMAT, **kwargs) as tar:
        for name in (MANIFEST, database_name, MEDIA_TAR):  # the manifest first: it is read first
            info = tar.gettarinfo(str(work / name), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o600
            with (work / name).open("rb") as handle:
                tar.addfile(info, handle)


def _prune(folder: Path, keep: int, progress: Progress) -> None:
    complete = sorted(p for p in folder.glob("vom-backup-*.tar*") if p.is_file())
    for old in complete[:-keep]:
        old.unlink()
        progress(f"Removed the old backup {old.name} (keeping the newest {keep})")


# --- reading and restoring a backup -------------------------------------------------------------------------


@dataclass
class OpenedBackup:
    """A backup unpacked into a temporary folder, every file checked against its manifest."""

    folder: Path
    manifest: dict
    notes: list[str] = field(default_factory=list)

    @property
    def database_file(self) -> Path:
        return self.folder / self.manifest["database"]["file"]

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def read_identities(path: Path | None):
    import pyrage

    if path is None:
        return []
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise BackupError(f"Cannot read the age identity file {path}: {exc.strerror}.") from exc
    identities = []
    for line in lines:
        if line.strip().startswith("AGE-SECRET-KEY-"):
            try:
                identities.append(pyrage.x25519.Identity.from_str(line.strip()))
            except pyrage.IdentityError as exc:
                raise BackupError(f"{path} holds a line that is not a valid age secret key: {exc}") from exc
    if not identities:
        raise BackupError(f"{path} holds no age secret key (a line starting AGE-SECRET-KEY-).")
    return identities


DAMAGED = "The backup {name} is truncated or damaged ({detail}); nothing was restored. Use another backup."


def open_backup(path: Path, *, identity: Path | None, work_root: Path | None, progress: Progress) -> OpenedBackup:
    """Decrypt and unpack ``path`` and check every file against the manifest. Changes nothing outside a temp folder."""
    if path.name.endswith(".partial"):
        raise BackupError(f"{path.name} is an unfinished backup (its writer stopped before the end); use another.")
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    folder = Path(tempfile.mkdtemp(prefix="vom-restore-", dir=work_root))
    try:
        with path.open("rb") as handle:
            encrypted = handle.read(len(AGE_MAGIC)) == AGE_MAGIC
        source = path
        if encrypted:
            import pyrage

            identities = read_identities(identity)
            if not identities:
                raise BackupError(f"{path.name} is encrypted: pass --identity with the file holding its age key.")
            progress(f"Decrypting {path.name} …")
            source = folder / "backup.tar"
            try:
                with path.open("rb") as encrypted_in, source.open("wb") as plain_out:
                    pyrage.decrypt_io(encrypted_in, plain_out, identities)
            except (OSError, pyrage.DecryptError) as exc:
                raise BackupError(
                    f"Cannot decrypt {path.name}: either the key does not match, or the file is truncated or "
                    f"altered ({exc}); nothing was restored."
                ) from exc
        _unpack_outer(source, folder, path.name)
        if encrypted:
            source.unlink()
        manifest = _read_manifest(folder, path.name)
        for name, expected in manifest["files"].items():
            found = folder / name
            if not found.is_file():
                raise BackupError(DAMAGED.format(name=path.name, detail=f"{name} is missing"))
            if found.stat().st_size != expected["bytes"] or sha256_file(found) != expected["sha256"]:
                raise BackupError(
                    f"{name} in {path.name} does not match the SHA-256 in its manifest: the backup was altered or "
                    "damaged after it was written; nothing was restored. Use another backup."
                )
        progress(f"Checked {path.name}: made {manifest['created_at']}, every file matches its SHA-256")
        return OpenedBackup(folder, manifest)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _unpack_outer(source: Path, folder: Path, name: str) -> None:
    allowed = {MANIFEST, MEDIA_TAR, *DATABASE_FILES.values()}
    try:
        with tarfile.open(source, "r:") as tar:
            for member in tar:
                if member.name not in allowed or not member.isfile():
                    raise BackupError(f"{name} holds {member.name!r}, which no VOM backup has; nothing was restored.")
                tar.extract(member, folder, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(DAMAGED.format(name=name, detail=str(exc) or type(exc).__name__)) from exc


def _read_manifest(folder: Path, name: str) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise BackupError(DAMAGED.format(name=name, detail="it has no manifest.json")) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(DAMAGED.format(name=name, detail=f"manifest.json is unreadable: {exc}")) from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{name} is not a VOM Case Manager backup (no '{FORMAT}' manifest).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{name} is in backup format {manifest.get('format_version')}; this version of the app reads format "
            f"{FORMAT_VERSION}. Restore it with the app version that made it ({manifest.get('app')})."
        )
    return manifest


@dataclass
class RestoreReport:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _existing_tables() -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def _media_entries() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return list(root.iterdir()) if root.is_dir() else []


def check_target(backup: OpenedBackup, *, force: bool) -> list[str]:
    """Refuse a restore that cannot work or would overwrite data, before anything is changed."""
    manifest = backup.manifest
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"This backup holds a {vendor} database, but DATABASE_URL points at {connection.vendor}: restore it "
            f"into {vendor}."
        )
    unknown = _migration_pairs(manifest["migrations"]) - code_migrations()
    if unknown:
        named = ", ".join(f"{a}.{n}" for a, n in sorted(unknown)[:5])
        raise BackupError(
            f"The backup was made by a newer version of the app: it has {len(unknown)} migration(s) this code does "
            f"not know ({named}). Deploy the version it names ({manifest['app']}) and restore with that."
        )
    try:
        tables = _existing_tables()
    except DatabaseError as exc:
        raise BackupError(
            f"Cannot reach the database {connection.settings_dict['NAME']}: {str(exc).strip()}. Create it, empty, "
            "and check DATABASE_URL."
        ) from exc
    media = _media_entries()
    notes = []
    if tables and not force:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty ({len(tables)} tables); restore goes only "
            "into an empty database. Create a new, empty one, or pass --force to replace everything in it."
        )
    if media and not force:
        raise BackupError(
            f"The media folder {settings.MEDIA_ROOT} is not empty ({len(media)} entries); restore goes only into an "
            "empty folder. Point MEDIA_ROOT at an empty one, or pass --force to replace what is in it."
        )
    if tables:
        notes.append(f"--force: replacing the {len(tables)} tables in {connection.settings_dict['NAME']}")
    if media:
        notes.append(f"--force: replacing the {len(media)} entries in {settings.MEDIA_ROOT}")
    return notes


def _clear_target(progress: Progress) -> None:
    tables = _existing_tables()
    if tables and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS " + ", ".join(_quote(t) for t in tables) + " CASCADE")
            # The triggers' functions (the audit trail's, the read models') outlive their tables, and pg_restore's
            # CREATE FUNCTION would then fail: every function of the schema goes, except an extension's (pg_trgm).
            cursor.execute(
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() AND NOT EXISTS "
                "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
            )
            for (function,) in cursor.fetchall():
                cursor.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")  # nosec B608: names from pg_proc
    for entry in _media_entries():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if tables:
        progress(f"Removed {len(tables)} tables and the media folder's contents (--force)")


def _restore_database(backup: OpenedBackup, progress: Progress) -> None:
    started = time.monotonic()
    if connection.vendor == "postgresql":
        command = [_pg_tool("pg_restore"), "--exit-on-error", "--single-transaction", "--no-password",
                   f"--dbname={connection.settings_dict['NAME']}", str(backup.database_file)]  # fmt: skip
        connection.close()
        _run_with_progress(command, env=_pg_env(), watch=None, progress=progress, what="pg_restore")
    else:
        connection.close()
        source = sqlite3.connect(backup.database_file)
        target = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    progress(f"Database restored ({time.monotonic() - started:.1f} s)")


def _restore_media(backup: OpenedBackup, progress: Progress) -> list[str]:
    """Unpack media.tar into MEDIA_ROOT, then hash every file there against the manifest."""
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(backup.folder / MEDIA_TAR, "r:") as tar:
        tar.extractall(root, filter="data")
    expected = backup.manifest["media"]
    found = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
    problems = [f"media: {name} is missing after the restore" for name in sorted(set(expected) - set(found))]
    problems += [f"media: {name} is not in the manifest" for name in sorted(set(found) - set(expected))]
    for name in sorted(set(expected) & set(found)):
        if sha256_file(found[name]) != expected[name]["sha256"]:
            problems.append(f"media: {name} does not match its SHA-256 in the manifest")
    progress(f"Media restored: {len(found):,} files")
    return problems


def check_restored(backup: OpenedBackup) -> RestoreReport:
    """What a restored system must show before anyone serves it."""
    report = RestoreReport()
    manifest = backup.manifest
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = set(cursor.fetchall())
        tables = connection.introspection.table_names(cursor)
        counts = _count_rows(cursor, tables)
    expected_migrations = _migration_pairs(manifest["migrations"])
    if applied == expected_migrations:
        report.lines.append(f"migrations: the {len(applied)} applied match the manifest")
    else:
        missing, extra = expected_migrations - applied, applied - expected_migrations
        report.problems.append(f"migrations differ from the manifest: missing {sorted(missing)}, extra {sorted(extra)}")
    pending = code_migrations() - applied
    if pending:
        report.lines.append(f"migrations: {len(pending)} of this code's are not applied yet: run manage.py migrate")
    expected_counts = manifest["tables"]
    wrong = [
        f"{table}: {counts.get(table)} rows, manifest {expected_counts.get(table)}"
        for table in sorted(set(counts) | set(expected_counts))
        if counts.get(table) != expected_counts.get(table)
    ]
    if wrong:
        report.problems.append("row counts differ from the manifest: " + "; ".join(wrong[:10]))
    else:
        report.lines.append(f"rows: all {len(counts)} tables match the manifest ({sum(counts.values()):,} rows)")
    out = io.StringIO()
    try:
        call_command("verify_agreement_pdfs", stdout=out)
        report.lines.append("signed PDFs: " + " ".join(out.getvalue().split()))
    except CommandError as exc:
        report.problems.append(f"signed PDFs: {exc} " + " | ".join(out.getvalue().splitlines()[:10]))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = %s AND c.relname = 'audit_auditevent' AND NOT t.tgisinternal",
                [AUDIT_TRIGGER],
            )
            row = cursor.fetchone()
        if row and row[0] != "D":
            report.lines.append("audit trail: the append-only trigger is in place")
        else:
            report.problems.append(
                f"audit trail: the append-only trigger {AUDIT_TRIGGER} is {'disabled' if row else 'missing'}"
            )
    else:
        report.lines.append("audit trail: SQLite has no append-only trigger (PostgreSQL only)")
    return report


def restore_backup(backup: OpenedBackup, *, force: bool, progress: Progress) -> RestoreReport:
    for note in check_target(backup, force=force):
        progress(note)
    if force:
        _clear_target(progress)
    _restore_database(backup, progress)
    media_problems = _restore_media(backup, progress)
    report = check_restored(backup)
    report.problems[:0] = media_problems
    return report
