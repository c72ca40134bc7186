"""Unsubscribes that arrive by email: the `mailto:` of the `List-Unsubscribe` header (RFC 2369).

A mail client's "Unsubscribe" button for a mailto: link sends a message to
NEWSLETTER_UNSUBSCRIBE_MAILTO with the subject `unsubscribe-<token>`. The token is the same
signed, never-expiring unsubscribe token as in the https link, so only a message carrying a
valid token unsubscribes anyone: a forged From address achieves nothing.

Two ways in, both ending in `unsubscribe_by_message()`:
- a Maildir the mail server delivers that address to (NEWSLETTER_UNSUBSCRIBE_MAILDIR), read by
  the worker's clock (or `masthead read-unsubscribes`); processed messages are removed, others
  are marked seen and kept for a person to read;
- a provider's inbound webhook through anymail (`anymail.signals.inbound`).
"""

from __future__ import annotations

import logging
import mailbox
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr
from pathlib import Path

from masthead.newsletter import tokens
from masthead.newsletter.services.subscribers import subscriber_unsubscribe
from masthead.newsletter.wording import UNSUBSCRIBE_WORDING

logger = logging.getLogger("masthead.newsletter")

# Signer tokens are "<id>:<url-safe base64 signature>".
TOKEN_RE = re.compile(r"unsubscribe-([0-9]{1,18}:[A-Za-z0-9_-]{10,100})")
MAILTO_WORDING = f"{UNSUBSCRIBE_WORDING} (by email to the List-Unsubscribe address)"


@dataclass
class MailboxReport:
    read: int = 0
    unsubscribed: int = 0
    kept: int = 0


def token_in(message: Message) -> str | None:
    """The unsubscribe token in the subject (or, failing that, the first lines of the body)."""
    found = TOKEN_RE.search(str(message.get("Subject", "")))
    if found is None:
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True) or b""
                found = TOKEN_RE.search(payload[:4000].decode("utf-8", "replace"))
                break
    return found.group(1) if found else None


def unsubscribe_by_message(message: Message, *, source: str) -> bool | None:
    """Unsubscribe whoever the message's token names. None: no valid token in the message."""
    token = token_in(message)
    subscriber_id = tokens.read_unsubscribe_token(token) if token else None
    if subscriber_id is None:
        return None
    sender = parseaddr(str(message.get("From", "")))[1][:254]
    changed = subscriber_unsubscribe(subscriber_id=subscriber_id, source=source, ip=None,
                                     user_agent=f"mail from {sender}"[:200],
                                     wording=MAILTO_WORDING)
    logger.info("unsubscribe by mail for subscriber %s (%s)", subscriber_id,
                "done" if changed else "already off the list")
    return changed


def read_maildir(path: str | Path) -> MailboxReport:
    """Process every unread message in a Maildir (created if missing)."""
    report = MailboxReport()
    box = mailbox.Maildir(str(path), factory=None, create=True)
    for key in list(box.iterkeys()):
        try:
            message = box.get_message(key)
        except (KeyError, FileNotFoundError):
            continue  # taken by a concurrent reader
        if "S" in message.get_flags():
            continue  # seen before and kept for a person
        report.read += 1
        outcome = unsubscribe_by_message(message, source="mailto")
        if outcome is None:
            message.set_subdir("cur")
            message.add_flag("S")
            box[key] = message
            report.kept += 1
            continue
        report.unsubscribed += int(outcome)
        box.discard(key)
    return report


def read_mbox(path: str | Path) -> MailboxReport:
    """Process an mbox file (read only: the file is left as it is)."""
    report = MailboxReport()
    for message in mailbox.mbox(str(path), create=False):
        report.read += 1
        outcome = unsubscribe_by_message(message, source="mailto")
        if outcome is None:
            report.kept += 1
        else:
            report.unsubscribed += int(outcome)
    return report
