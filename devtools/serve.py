"""Serving the app for real and signing in over HTTP: used by `manage.py loadtest` and the fault drills.

Nothing here imports Django's ORM or a domain app: it starts processes and speaks HTTP to them, the way
a load balancer and a browser would.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPResponse
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "mediate-2026"  # noqa: S105 -- the demo logins' password (seed_demo), printed on purpose


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll ``condition`` until it returns something truthy; raise TimeoutError naming ``what`` if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production-like web process on loopback, behind a (pretend) TLS proxy.

    DEBUG is off, so SECRET_KEY and ALLOWED_HOSTS are required and every security setting is on; clients
    send ``X-Forwarded-Proto: https`` as the TLS-terminating proxy would (USE_X_FORWARDED_PROTO).
    """
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DJANGO_SETTINGS_MODULE="vom.settings",
        DEBUG="False",
        SECRET_KEY="loadtest-" + os.urandom(24).hex(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        USE_X_FORWARDED_PROTO="True",
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


def collectstatic(env: dict[str, str], static_root: Path) -> None:
    """The hashed, compressed files the manifest storage needs when DEBUG is off."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env={**env, "STATIC_ROOT": str(static_root)}, check=True,
    )  # fmt: skip


@dataclass
class Gunicorn:
    """A gunicorn master with ``workers`` sync workers on a free loopback port, stopped on exit.

    ``app`` is a WSGI path (``vom.wsgi:application``). Start-up waits until ``/healthz`` answers at all
    (200 or 503: a drill may start it while a service is down).
    """

    env: dict[str, str]
    workers: int = 2
    app: str = "vom.wsgi:application"
    log: Path | None = None
    port: int = field(default_factory=free_port)
    timeout: int = 30
    proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, ready_timeout: float = 60) -> "Gunicorn":
        command = [
            sys.executable, "-m", "gunicorn", self.app, "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers), "--timeout", str(self.timeout), "--graceful-timeout", "10",
            "--error-logfile", "-",
        ]  # fmt: skip
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        finally:
            if self.log:
                out.close()
        try:
            wait_until(self._answers, timeout=ready_timeout, interval=0.2, what=f"gunicorn on port {self.port}")
        except BaseException:
            self.stop()
            raise
        return self

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log or 'its output'}")
        try:
            return WebClient(self.base_url, timeout=5).get("/healthz").status in {200, 503}
        except OSError:
            return False

    def worker_pids(self) -> set[int]:
        """The master's current worker processes (a worker that died and was replaced shows a new pid)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def stop(self) -> None:
        """Graceful stop (TERM: workers finish their request), then KILL if it takes too long."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> "Gunicorn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    text: str
    ms: float

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class WebClient:
    """A minimal browser over one keep-alive connection: cookies, CSRF tokens, no redirects followed.

    Requests carry ``X-Forwarded-Proto: https`` and a same-origin Referer, as they would through the TLS
    proxy, so secure cookies and Django's HTTPS CSRF checks apply as in production.
    """

    def __init__(self, base_url: str, *, timeout: float = 30):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.origin = f"https://{parts.netloc}"
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._conn: HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, data: dict | None = None) -> Page:
        body = urlencode(data or {}, doseq=True) if method == "POST" else None
        headers = {"X-Forwarded-Proto": "https", "Referer": self.origin + path}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers)
                response = self._conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (ConnectionError, OSError) as error:
                # A kept-alive connection the server closed meanwhile: retry once on a fresh one.
                self.close()
                if attempt == 2 or not _stale_keepalive(error):
                    raise
        ms = (time.perf_counter() - started) * 1000
        self._keep_cookies(response)
        if response.getheader("connection", "").lower() == "close":
            self.close()
        return Page(response.status, {k.lower(): v for k, v in response.getheaders()}, text, ms)

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> Page:
        return self.request("POST", path, data)

    def submit(self, path: str, data: dict, *, form_page: Page | None = None) -> Page:
        """POST a form the way a browser does: with the CSRF token of the page that showed it."""
        form_page = form_page or self.get(path)
        match = CSRF_INPUT.search(form_page.text)
        if match is None:
            raise AssertionError(f"no CSRF token on {path} (status {form_page.status})")
        return self.post(path, {"csrfmiddlewaretoken": match.group(1), **data})

    def _keep_cookies(self, response: HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


def _stale_keepalive(error: Exception) -> bool:
    from http.client import RemoteDisconnected

    return isinstance(error, RemoteDisconnected | BrokenPipeError | ConnectionResetError)


CODE_PAGE = "/accounts/two-factor/code/"


def code_step(code: Callable[[], str]):
    """The second sign-in step for users who owe a second factor: when the app sends them to its code page,
    post ``code()`` there (the code their authenticator app shows). Users it does not ask are left as they are."""

    def step(client: WebClient, answer: Page) -> Page:
        landing = client.get(answer.location)
        if landing.status in {301, 302} and urlsplit(landing.location).path == CODE_PAGE:
            return client.submit(landing.location, {"code": code()})
        return answer

    return step


def sign_in(base_url: str, username: str, password: str = DEMO_PASSWORD, *, second_step=None) -> WebClient:
    """Sign in through the real sign-in form and return the signed-in WebClient.

    Every load-test and drill session starts here. The second factor (TOTP: admins, coordinators, mediators
    of programs that ask) is one more step: pass ``second_step(client, answer) -> answer``, usually
    ``code_step(...)``, which posts the code on the page the password step led to.
    """
    client = WebClient(base_url)
    answer = client.submit("/accounts/login/", {"username": username, "password": password})
    if second_step is not None and answer.status == 302:
        answer = second_step(client, answer)
    if answer.status != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"sign-in as {username} failed: status {answer.status}")
    return client
