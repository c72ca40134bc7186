"""A local outbox: the default mail "transport" of a one-machine install with no mail server.

Each message is written as one `.eml` file (the exact bytes an SMTP server would receive) in
EMAIL_FILE_PATH, VAR_DIR/outbox by default. Editors read them in the admin (Newsletter → Outbox)
or open the files with any mail program. Files are written to a temporary name and renamed, so
a reader never sees half a message.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

NAME_RE = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{12}\.eml$")


class OutboxBackend(BaseEmailBackend):
    def __init__(self, file_path: str | None = None, fail_silently: bool = False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self.directory = Path(file_path or outbox_dir())

    def send_messages(self, email_messages) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            try:
                data = message.message().as_bytes(linesep="\r\n")
                write_message(self.directory, data)
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent


def outbox_dir() -> Path:
    return Path(getattr(settings, "EMAIL_FILE_PATH", None) or settings.EMAIL_OUTBOX_DIR)


def is_active() -> bool:
    return settings.EMAIL_BACKEND == f"{__name__}.OutboxBackend"


def write_message(directory: Path, data: bytes) -> str:
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}.eml"
    temporary = directory / f".{name}.tmp"
    temporary.write_bytes(data)
    os.replace(temporary, directory / name)
    return name


@dataclass(frozen=True)
class OutboxEntry:
    name: str
    when: datetime
    subject: str
    to: str
    sender: str


def entries(limit: int = 100) -> tuple[list[OutboxEntry], int]:
    """The newest `limit` messages (headers only) and how many there are in all."""
    directory = outbox_dir()
    try:
        names = sorted((e.name for e in os.scandir(directory) if NAME_RE.match(e.name)),
                       reverse=True)
    except FileNotFoundError:
        return [], 0
    parser = BytesParser(policy=policy.default)
    shown = []
    for name in names[:limit]:
        try:
            with open(directory / name, "rb") as fh:
                headers = parser.parse(fh, headersonly=True)
        except FileNotFoundError:
            continue
        when = datetime.strptime(name[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
        shown.append(OutboxEntry(name, when, str(headers.get("Subject", "")),
                                 str(headers.get("To", "")), str(headers.get("From", ""))))
    return shown, len(names)


def read(name: str) -> EmailMessage | None:
    """One message by file name; None for anything that is not an outbox file name."""
    if not NAME_RE.match(name):
        return None
    try:
        with open(outbox_dir() / name, "rb") as fh:
            return BytesParser(policy=policy.default).parse(fh)
    except FileNotFoundError:
        return None
