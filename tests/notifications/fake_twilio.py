"""A fake of Twilio's Messages endpoint on loopback, for the real adapter to talk to (the outside boundary).

It checks the account's credentials and path as Twilio does and answers each request with the next planned
status (201 accepted by default; 429 rate-limited; 5xx down; 400 a number that cannot take texts).
"""

import base64
import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

SID, TOKEN, SENDER = "AC00000000000000000000000000000000", "fake-auth-token", "+16125550000"


class FakeTwilio(ThreadingHTTPServer):
    """Behaves like Twilio's Messages endpoint: each request takes the next planned answer (default 201)."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeHandler)
        self.received: list[dict] = []
        self.lock = threading.Lock()
        self.answers: list[int] = []

    @classmethod
    @contextlib.contextmanager
    def running(cls):
        server = cls()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield server
        finally:
            server.shutdown()
            server.server_close()

    @property
    def url(self):
        return f"twilio://{SID}:{TOKEN}@127.0.0.1:{self.server_address[1]}?from=%2B16125550000"


class FakeHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # the http.server API names it so
        server: FakeTwilio = self.server
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
        expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        assert self.headers["Authorization"] == expected
        assert self.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
        status = server.answers.pop(0) if server.answers else 201
        with server.lock:
            server.received.append(form | {"answered": status})
        if status == 201:
            body = {"sid": f"SM{len(server.received):032d}", "status": "queued", "to": form["To"], "body": form["Body"]}
        else:
            body = {"code": {429: 20429, 400: 21211}.get(status, 20500), "message": "No", "status": status}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass
