"""Real processes for the fault drills: throwaway Redis and PostgreSQL, gunicorn, Celery workers, an SMTP sink.

Every drill that stops a service stops one of its own (a Redis on another port, a PostgreSQL cluster made
with initdb in a temporary folder), so the services the rest of the suite uses are never disturbed. Every
process started here is stopped, and every folder removed, when the test ends, passed or failed.
"""

import asyncio
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from email import message_from_bytes
from pathlib import Path

import pytest

from devtools.serve import Gunicorn, WebClient, collectstatic, free_port, production_env, sign_in, wait_until
from tests.conftest import ROOT, database_url_for_test_db, require

PASSWORD = "drill-password-2026"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/drills/" in str(item.fspath):
            item.add_marker(pytest.mark.drill)


def web_password(*users) -> None:
    """Give users a password the web process can check (the suite itself hashes with MD5, for speed)."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    for user in users:
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])


def stop_process(proc: subprocess.Popen, *, timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- Redis ------------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the drill's own on a free port, without persistence (as the CI Redis)."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                   "no", "--dir", str(self.folder), "--logfile", str(self.folder / "redis.log")]  # fmt: skip
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until(self.ping, timeout=20, what=f"redis on port {self.port}")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


@pytest.fixture
def redis_server(tmp_path):
    require(shutil.which("redis-server") is not None, "the drill needs the redis-server binary")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- PostgreSQL ---------------------------------------------------------------------------------------


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """A cluster made with initdb in a temporary folder, on a free port, trust auth, owned by ``postgres``
    when we are root (initdb refuses to run as root)."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="vom-drill-pg-"))
        self.data = self.folder / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgres://vom@127.0.0.1:{self.port}/vom"

    def run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, cwd=self.folder, timeout=120)

    def create(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "vom", "-A", "trust", "-E", "UTF8", "--no-sync")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "vom", "vom")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text() if path.exists() else ""

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def postgres_cluster():
    bindir = postgres_bin()
    require(bindir is not None, "the drill needs PostgreSQL's initdb and pg_ctl (/usr/lib/postgresql/*/bin)")
    require(os.geteuid() != 0 or shutil.which("runuser") is not None, "as root, initdb needs runuser")
    cluster = PostgresCluster(bindir)
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.remove()


# --- the web app ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """Collected static files, once per run: DEBUG is off in the drills' web processes."""
    folder = tmp_path_factory.mktemp("static")
    collectstatic(production_env(), folder)
    return folder


@pytest.fixture
def serve(static_root, tmp_path):
    """Start gunicorn (production settings) against given services: ``serve(DATABASE_URL=…, REDIS_URL=…)``."""
    servers = []

    def start(workers: int = 2, **env) -> Gunicorn:
        env.setdefault("EMAIL_URL", f"filemail:///{tmp_path / 'web-mail'}")
        server = Gunicorn(
            env=production_env(STATIC_ROOT=str(static_root), **env),
            workers=workers,
            log=tmp_path / f"gunicorn-{len(servers)}.log",
        )
        servers.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def test_database_url(transactional_db):
    from django.db import connection

    require(connection.vendor == "postgresql", "the drill's processes share the test database: needs PostgreSQL")
    return database_url_for_test_db()


# --- Celery workers -------------------------------------------------------------------------------------


class Worker:
    """`celery worker` processes on a queue of their own; ``start()`` again after ``kill()`` to restart."""

    def __init__(self, env: dict[str, str], log: Path):
        self.queue = f"drill-{uuid.uuid4().hex}"
        self.node = f"drill-{uuid.uuid4().hex[:8]}@localhost"
        self.env = env
        self.log = log
        self.procs: list[subprocess.Popen] = []

    @property
    def proc(self) -> subprocess.Popen:
        return self.procs[-1]

    def start(self) -> subprocess.Popen:
        command = [sys.executable, "-m", "celery", "-A", "vom", "worker", "-Q", self.queue, "-n", self.node, "--pool",
                   "solo", "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
        with self.log.open("a") as out:
            self.procs.append(subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT))
        wait_until(lambda: self.started(), timeout=60, what="the worker to be ready")
        return self.proc

    def started(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"worker exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
        return self.log.read_text().count(" ready.") >= len(self.procs)

    def kill(self) -> None:
        """kill -9: no warm shutdown, no cleanup, no acknowledgement."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        for proc in self.procs:
            stop_process(proc)


@pytest.fixture
def celery_worker(tmp_path):
    """``celery_worker(broker_url, **env)``: a worker on that broker and the test database."""
    workers = []

    def make(broker_url: str, **env) -> Worker:
        full = production_env(
            DATABASE_URL=database_url_for_test_db(), REDIS_URL=broker_url, CELERY_BROKER_URL=broker_url, **env
        )
        workers.append(Worker(full, tmp_path / f"worker-{len(workers)}.log"))
        return workers[-1]

    try:
        yield make
    finally:
        for worker in workers:
            worker.stop()


def send_task(task, broker_url: str, queue: str) -> None:
    """Publish ``task`` on ``broker_url`` as beat would (the drills' brokers are not the suite's)."""
    from vom.celery import app

    with app.connection_for_write(broker_url) as connection:
        task.apply_async(queue=queue, connection=connection)


# --- an SMTP server: the true outside boundary ----------------------------------------------------------


class SmtpSink:
    """An SMTP server in a thread that keeps every message it accepts, by Message-ID.

    ``hold(n)`` makes it stop before answering the DATA of the n-th message (1-based), for as long as the
    sender stays: the sender waits for "250", and a drill can kill it right there. A message whose sender hangs up
    meanwhile is discarded, as a mail server does when the connection drops before it accepted; with
    ``accepted=True`` it is kept instead: the server had taken it, and its "250" was lost with the sender.
    """

    def __init__(self):
        self.port = free_port()
        self.accepted: list[dict] = []
        self.discarded: list[str] = []
        self.seen = 0
        self.hold_at: int | None = None
        self.accept_on_hang_up = False
        self.holding = threading.Event()
        self._release: asyncio.Event | None = None
        self._controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            if self._release is not None:
                self._controller.loop.call_soon_threadsafe(self._release.set)
            self._controller.stop()

    def hold(self, n: int, *, accepted: bool = False) -> None:
        self.hold_at, self.accept_on_hang_up = n, accepted

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content)
        self.seen += 1
        if self.seen == self.hold_at:
            self._release = asyncio.Event()
            self.holding.set()
            try:
                await self._release.wait()
            except asyncio.CancelledError:  # aiosmtpd cancels the handler when the sender hangs up
                if self.accept_on_hang_up:
                    self._keep(message, envelope)
                else:
                    self.discarded.append(message["Message-ID"])
                raise
        self._keep(message, envelope)
        return "250 OK"

    def _keep(self, message, envelope) -> None:
        self.accepted.append({"message_id": message["Message-ID"], "to": envelope.rcpt_tos[0]})

    def count_by_message_id(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.accepted:
            counts[item["message_id"]] = counts.get(item["message_id"], 0) + 1
        return counts


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


__all__ = ["PASSWORD", "WebClient", "send_task", "sign_in", "wait_until", "web_password"]
