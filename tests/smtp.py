"""A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Inbox:
    """Keeps what it accepts. Optional modes for failure tests:

    - `reject`: address -> SMTP reply (e.g. "550 5.1.1 No such user") refused at RCPT TO;
    - `hold_after`: once this many messages are stored, the next DATA gets no reply until
      `release()` (then "451" and it is not stored): a message in flight, for crash tests.
    """

    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    reject: dict[str, str] = field(default_factory=dict)
    hold_after: int | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.reject.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold_after is not None and len(self.messages) >= self.hold_after:
            self.holding.set()
            while not self.released.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 Try again later"
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def release(self) -> None:
        self.hold_after = None
        self.released.set()

    def count_by_recipient(self) -> Counter:
        with self.lock:
            return Counter(r.lower() for m in self.messages for r in m.recipients)

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.recipients]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
        self.reject.clear()
        self.hold_after = None
        self.holding.clear()
        self.released.clear()


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class SMTPServer:
    """Start with `start()`, stop with `stop()`; `port` and `inbox` are what tests use."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname=host, port=_free_port(host))

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        return self.controller.port

    def stop(self) -> None:
        self.controller.stop()

    def receive_email(self, settings) -> Inbox:
        """Route Django's email here (plain SMTP, no login) for one test: `settings` is
        pytest-django's fixture, which undoes this afterwards. The inbox, emptied."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = self.host
        settings.EMAIL_PORT = self.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        self.inbox.clear()
        return self.inbox
