"""Text messages: the providers behind one small interface, segment counting, and quiet hours.

``SMS_URL`` picks the provider, as ``EMAIL_URL`` picks the mail server:

- unset or ``file:``: each text is written to a file under ``./var/sms/`` (the development default);
- ``twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?from=%2B15551230000`` (or ``messaging_service=MG…``
  instead of ``from``): Twilio's Programmable Messaging through the ``twilio`` package. Another host
  is used as the API's address (a regional edge; in tests, a fake provider on loopback, over plain
  HTTP only there).

A provider raises ``SmsError``: ``retry`` says whether sending again later may work (a rate limit, the
provider down) or never will (a number that cannot receive texts).
"""

import itertools
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.utils import timezone

# GSM 03.38: the basic set costs one septet a character, the extension set two (an escape first).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")
MAX_SEGMENTS = 2


class SmsError(Exception):
    def __init__(self, message: str, *, retry: bool):
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int


def segments(text: str) -> Segments:
    """How many SMS segments ``text`` takes: 160 septets in one (153 each when split), or in UCS-2 as
    soon as one character is outside GSM-7, 70 UTF-16 units in one (67 each when split)."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2  # characters outside the BMP take two units
        single, multi, encoding = 70, 67, "UCS-2"
    count = 1 if units <= single else -(-units // multi)
    return Segments(encoding, units, count)


def fit(text: str, max_segments: int = MAX_SEGMENTS) -> str:
    """``text`` shortened, if needed, to fit ``max_segments``: the body is cut with an ellipsis and the last
    sentence (how to stop texts, which carriers require in every message) is kept whole."""
    text = " ".join(text.split())  # one line: line breaks cost characters and read badly on a phone
    if segments(text).count <= max_segments:
        return text
    body, _, tail = text.rpartition(". ")
    body, tail = (body + ".", " " + tail) if body else (text, "")
    ellipsis = "..." if segments(text).encoding == "GSM-7" else "…"  # "…" alone would turn it into UCS-2
    for end in range(len(body) - 1, 0, -1):
        shorter = body[:end].rstrip() + ellipsis + tail
        if segments(shorter).count <= max_segments:
            return shorter
    return ""


def quiet_window(now: datetime, *, start: time, end: time) -> tuple[datetime, datetime] | None:
    """The quiet period (local start, local end) that ``now`` falls in, or None outside it.

    Times are the program's local times (the site's zone); the window may cross midnight (20:00-08:00).
    The same start and end mean no quiet hours.
    """
    if start == end:
        return None
    local = timezone.localtime(now)
    zone = local.tzinfo
    for day in (local.date() - timedelta(days=1), local.date()):
        begins = datetime.combine(day, start, zone)
        ends = datetime.combine(day + timedelta(days=1) if end <= start else day, end, zone)
        if begins <= local < ends:
            return begins, ends
    return None


def outside_quiet_hours(due: datetime, *, start: time, end: time, earlier: bool = False) -> datetime:
    """``due`` moved out of quiet hours: to when they end, or with ``earlier`` to just before they begin
    (a reminder meant to arrive shortly before a morning meeting goes the evening before instead)."""
    window = quiet_window(due, start=start, end=end)
    if window is None:
        return due
    begins, ends = window
    return begins - timedelta(minutes=1) if earlier else ends


class FileProvider:
    """Writes each text to ``./var/sms/`` so a developer can read what would have been sent."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def send(self, *, to: str, body: str, key: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        for n in itertools.count(1):
            path = self.folder / f"{stamp}-{n}.txt"
            try:
                with path.open("x", encoding="utf-8") as handle:
                    handle.write(f"To: {to}\nKey: {key}\n\n{body}\n")
            except FileExistsError:
                continue
            return path.name
        raise AssertionError("unreachable")


class TwilioProvider:
    """Twilio's Programmable Messaging. 429 and 5xx answers may pass: retried later; 4xx never will."""

    def __init__(self, *, account_sid: str, auth_token: str, sender: dict, base_url: str = ""):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=settings.SMS_TIMEOUT))
        if base_url:
            self.client.api.base_url = base_url
        self.sender = sender

    def send(self, *, to: str, body: str, key: str) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = self.client.messages.create(to=to, body=body, **self.sender)
        except TwilioRestException as exc:
            retry = exc.status == 429 or exc.status >= 500
            raise SmsError(f"Twilio answered {exc.status} (code {exc.code}): {exc.msg}", retry=retry) from exc
        except (TwilioException, OSError) as exc:  # no answer at all: connection refused, timed out
            raise SmsError(f"Twilio could not be reached: {exc}", retry=True) from exc
        return message.sid


def provider_from_url(url: str):
    if not url or url.startswith("file:"):
        folder = unquote(urlsplit(url).path) if url.startswith("file:") and urlsplit(url).path else None
        return FileProvider(Path(folder) if folder else settings.VAR_DIR / "sms")
    parts = urlsplit(url)
    if parts.scheme != "twilio":
        raise ValueError(f"SMS_URL: unknown provider {parts.scheme!r} (use file: or twilio://)")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if "messaging_service" in query:
        sender = {"messaging_service_sid": query["messaging_service"]}
    elif "from" in query:
        sender = {"from_": query["from"]}
    else:
        raise ValueError("SMS_URL: give ?from=+1… or ?messaging_service=MG…")
    host = parts.hostname or "api.twilio.com"
    loopback = host in {"127.0.0.1", "localhost", "::1"}
    base_url = "" if host == "api.twilio.com" else f"{'http' if loopback else 'https'}://{parts.netloc.split('@')[-1]}"
    return TwilioProvider(
        account_sid=unquote(parts.username or ""),
        auth_token=unquote(parts.password or ""),
        sender=sender,
        base_url=base_url,
    )


def auth_token_from_url(url: str) -> str:
    """The secret that signs the provider's webhooks (Twilio signs them with the auth token)."""
    parts = urlsplit(url)
    return unquote(parts.password or "") if parts.scheme == "twilio" else ""


def provider():
    return provider_from_url(settings.SMS_URL)


def signature_valid(url: str, params: dict, signature: str) -> bool:
    """Whether a webhook request was signed by the provider (Twilio: HMAC-SHA1 of the URL and the posted
    fields with the auth token). Without a token configured nothing is accepted."""
    token = auth_token_from_url(settings.SMS_URL)
    if not token or not signature:
        return False
    from twilio.request_validator import RequestValidator

    return RequestValidator(token).validate(url, params, signature)
