"""Subscribers: sign-up, confirmation, unsubscribe, bounces, complaints and imports.

Every change of status writes a ConsentEvent in the same transaction (see CONTEXT.md). Nothing
here sends mail inside a transaction: the confirmation email is a task enqueued on commit.
Bounced and complained addresses stay suppressed: a sign-up through the form is logged, but
sends nothing and changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from masthead.newsletter import ratelimit, signup_tasks, tokens
from masthead.newsletter.addresses import (
    NAME_MAX_LENGTH,
    clean_name,
    has_control_characters,
    normalise_email,
)
from masthead.newsletter.models import ConsentEvent, Delivery, Subscriber
from masthead.newsletter.wording import CONFIRM_WORDING, CONSENT_WORDING, UNSUBSCRIBE_WORDING

Status = Subscriber.Status
Kind = ConsentEvent.Kind
RateLimited = ratelimit.RateLimited

SIGN_UP_ATTEMPTS = 3
RECEIVING = (Status.PENDING, Status.CONFIRMED)
USER_AGENT_MAX = ConsentEvent._meta.get_field("user_agent").max_length
SOURCE_MAX = ConsentEvent._meta.get_field("source").max_length
SUBSCRIBER_SOURCE_MAX = Subscriber._meta.get_field("source").max_length


@dataclass(frozen=True)
class SignUpResult:
    subscriber_id: int
    status: str
    created: bool
    confirmation_queued: bool


class ConfirmOutcome(enum.Enum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    INVALID = "invalid"


def _log(subscriber_id: int, kind: str, *, source: str, ip: str | None = None,
         user_agent: str = "", wording: str = "", detail: dict | None = None) -> ConsentEvent:
    return ConsentEvent.objects.create(
        subscriber_id=subscriber_id, kind=kind, source=source[:SOURCE_MAX], ip=ip or None,
        user_agent=(user_agent or "")[:USER_AGENT_MAX], wording=wording, detail=detail or {},
    )


def _claim_confirmation(subscriber_id: int) -> bool:
    """Stamp confirmation_sent_at unless a confirmation went out within the cooldown.

    One conditional UPDATE: of any number of concurrent sign-ups, exactly one sees a row updated.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.NEWSLETTER_CONFIRM_COOLDOWN)
    return bool(
        Subscriber.objects.filter(pk=subscriber_id, status=Status.PENDING)
        .filter(Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lt=cutoff))
        .update(confirmation_sent_at=now)
    )


def _skip_pending_deliveries(subscriber_id: int) -> int:
    """A send already running sends nothing more to this subscriber."""
    return Delivery.objects.filter(
        subscriber_id=subscriber_id, status=Delivery.Status.PENDING
    ).update(status=Delivery.Status.SKIPPED)


def subscriber_sign_up(*, email: str, name: str, source: str, ip: str | None,
                       user_agent: str) -> SignUpResult:
    """Start (or restart) the double opt-in for `email` and log the sign-up.

    New and unsubscribed addresses become pending; a confirmation email is enqueued on commit at
    most once per NEWSLETTER_CONFIRM_COOLDOWN. Raises RateLimited, having stored nothing.
    """
    email, name = normalise_email(email), clean_name(name)
    for attempt in range(1, SIGN_UP_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _sign_up(email=email, name=name, source=source, ip=ip,
                                user_agent=user_agent)
        except IntegrityError:
            # Another request inserted the same address between our read and our write.
            if attempt == SIGN_UP_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _sign_up(*, email: str, name: str, source: str, ip: str | None,
             user_agent: str) -> SignUpResult:
    ratelimit.check_sign_up(email=email, ip=ip)
    subscriber, created = Subscriber.objects.get_or_create(
        email=email, defaults={"name": name, "source": source[:SUBSCRIBER_SOURCE_MAX]}
    )
    previous = subscriber.status
    kind = Kind.SIGNUP
    if previous == Status.UNSUBSCRIBED:
        kind = Kind.RESUBSCRIBE
        subscriber.status = Status.PENDING
        subscriber.source = source[:SUBSCRIBER_SOURCE_MAX]
    if not created and name and previous in (Status.PENDING, Status.UNSUBSCRIBED):
        subscriber.name = name  # unconfirmed, so nobody's confirmed name is overwritten
    if not created:
        subscriber.save(update_fields=["status", "source", "name"])
    _log(subscriber.pk, kind, source=source, ip=ip, user_agent=user_agent,
         wording=CONSENT_WORDING, detail={"previous_status": "" if created else previous})
    queued = subscriber.status == Status.PENDING and _claim_confirmation(subscriber.pk)
    if queued:
        subscriber_id = subscriber.pk
        transaction.on_commit(lambda: signup_tasks.send_confirmation.enqueue(subscriber_id))
    return SignUpResult(subscriber_id=subscriber.pk, status=subscriber.status, created=created,
                        confirmation_queued=queued)


def subscriber_confirm(*, token: str, ip: str | None, user_agent: str) -> ConfirmOutcome:
    """Confirm the pending subscriber a confirmation link names. Confirming twice is harmless."""
    found = tokens.read_confirm_token(token)
    if found is None:
        return ConfirmOutcome.INVALID
    pk, email = found
    with transaction.atomic():
        confirmed = Subscriber.objects.filter(pk=pk, email=email, status=Status.PENDING).update(
            status=Status.CONFIRMED, confirmed_at=timezone.now()
        )
        if confirmed:
            _log(pk, Kind.CONFIRM, source="confirm-page", ip=ip, user_agent=user_agent,
                 wording=CONFIRM_WORDING, detail={"previous_status": Status.PENDING})
            return ConfirmOutcome.CONFIRMED
    status = Subscriber.objects.filter(pk=pk, email=email).values_list("status", flat=True).first()
    if status == Status.CONFIRMED:
        return ConfirmOutcome.ALREADY_CONFIRMED
    return ConfirmOutcome.INVALID


def subscriber_unsubscribe(*, subscriber_id: int, source: str, ip: str | None,
                           user_agent: str, wording: str = UNSUBSCRIBE_WORDING) -> bool:
    """Stop all mail to a subscriber: status unsubscribed, pending deliveries skipped.

    Nothing is deleted. Returns False when the subscriber was not receiving anyway (no new event).
    """
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
        if subscriber is None:
            return False
        _skip_pending_deliveries(subscriber.pk)
        previous = subscriber.status
        if previous not in RECEIVING:
            return False
        subscriber.status = Status.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save(update_fields=["status", "unsubscribed_at"])
        _log(subscriber.pk, Kind.UNSUBSCRIBE, source=source, ip=ip, user_agent=user_agent,
             wording=wording, detail={"previous_status": previous})
    return True


def _suppress(*, email: str, status: str, kind: str, keep: tuple[str, ...], source: str,
              detail: dict | None) -> bool:
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update().filter(email=normalise_email(email)).first()
        )
        if subscriber is None:
            return False
        _skip_pending_deliveries(subscriber.pk)
        previous = subscriber.status
        if previous in keep:
            return False
        subscriber.status = status
        subscriber.save(update_fields=["status"])
        _log(subscriber.pk, kind, source=source,
             detail={**(detail or {}), "previous_status": previous})
    return True


def subscriber_mark_bounced(*, email: str, source: str, detail: dict | None = None) -> bool:
    """A hard bounce: suppress the address. False if unknown or already bounced/complained."""
    return _suppress(email=email, status=Status.BOUNCED, kind=Kind.BOUNCE,
                     keep=(Status.BOUNCED, Status.COMPLAINED), source=source, detail=detail)


def subscriber_mark_complained(*, email: str, source: str, detail: dict | None = None) -> bool:
    """A spam complaint: suppress the address. False if unknown or already complained."""
    return _suppress(email=email, status=Status.COMPLAINED, kind=Kind.COMPLAINT,
                     keep=(Status.COMPLAINED,), source=source, detail=detail)


# --- Provider events (anymail tracking webhooks) ------------------------------------------

# A "rejected" send only says something about the address for these reasons; "blocked" and
# "other" are often the sender's own fault (an unverified domain, a DMARC policy).
_REJECTED_AS_BOUNCE = {"invalid", "bounced", "timed_out"}


def subscriber_apply_tracking(*, event, esp_name: str) -> bool:
    """Suppress or unsubscribe an address after a provider's tracking event. True if it changed.

    bounced (hard bounce) and rejected-for-a-bad-address mark the subscriber bounced;
    complained, or rejected as spam, marks it complained; unsubscribed unsubscribes.
    """
    if not event.recipient:
        return False
    source = f"webhook:{esp_name.lower()}"[:SOURCE_MAX]
    detail = {"event_type": event.event_type, "event_id": str(event.event_id or "")[:200],
              "message_id": str(event.message_id or "")[:200],
              "reject_reason": event.reject_reason or "",
              "description": str(event.description or "")[:500],
              "mta_response": str(event.mta_response or "")[:500]}
    reason = event.reject_reason
    if event.event_type == "complained" or (event.event_type == "rejected" and reason == "spam"):
        return subscriber_mark_complained(email=event.recipient, source=source, detail=detail)
    if event.event_type == "bounced" or (event.event_type == "rejected"
                                         and reason in _REJECTED_AS_BOUNCE):
        return subscriber_mark_bounced(email=event.recipient, source=source, detail=detail)
    if event.event_type == "unsubscribed" or (event.event_type == "rejected"
                                              and reason == "unsubscribed"):
        subscriber_id = (Subscriber.objects.filter(email=normalise_email(event.recipient))
                         .values_list("pk", flat=True).first())
        return subscriber_id is not None and subscriber_unsubscribe(
            subscriber_id=subscriber_id, source=source, ip=None, user_agent="",
            wording=f"Unsubscribed through {esp_name}",
        )
    return False


# --- Imports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    """One CSV line: its number in the file and its cells (email, optional name)."""

    line: int
    cells: tuple[str, ...]


@dataclass
class ImportReport:
    created: int = 0
    confirmed: int = 0
    already_confirmed: int = 0
    kept: list[tuple[int, str, str]] = field(default_factory=list)  # line, email, status
    invalid: list[tuple[int, str]] = field(default_factory=list)  # line, reason

    @property
    def imported(self) -> int:
        return self.created + self.confirmed


def _import_row_error(row: ImportRow) -> str | None:
    if len(row.cells) not in (1, 2):
        return f"expected email[,name], found {len(row.cells)} columns"
    raw_email = row.cells[0].strip()
    name = row.cells[1] if len(row.cells) == 2 else ""
    if has_control_characters(raw_email) or has_control_characters(name):
        return "line breaks or control characters in a cell"
    if len(raw_email) > 254:
        return "email address longer than 254 characters"
    try:
        validate_email(raw_email)
    except ValidationError:
        return f"not a valid email address: {raw_email[:80]!r}"
    if len(name.strip()) > NAME_MAX_LENGTH:
        return f"name longer than {NAME_MAX_LENGTH} characters"
    return None


def _valid_import_rows(rows: Iterable[ImportRow], report: ImportReport) -> dict[str, tuple]:
    """email -> (line, name) for the rows worth importing; the rest go into the report."""
    wanted: dict[str, tuple[int, str]] = {}
    for row in rows:
        error = _import_row_error(row)
        email = normalise_email(row.cells[0]) if row.cells else ""
        if error is None and email in wanted:
            error = f"duplicate of line {wanted[email][0]}"
        if error:
            report.invalid.append((row.line, error))
            continue
        wanted[email] = (row.line, clean_name(row.cells[1]) if len(row.cells) == 2 else "")
    return wanted


def _existing(emails: list[str]) -> dict[str, Subscriber]:
    found: dict[str, Subscriber] = {}
    for start in range(0, len(emails), 500):
        for s in Subscriber.objects.filter(email__in=emails[start:start + 500]):
            found[s.email] = s
    return found


def subscribers_import(*, rows: Iterable[ImportRow], source: str, user) -> ImportReport:
    """Import addresses whose consent was collected elsewhere, all in one transaction.

    New addresses and pending ones become confirmed with an "import" consent event; confirmed
    ones are left as they are; unsubscribed, bounced and complained ones are never resubscribed.
    Invalid rows are reported by line number and skipped.
    """
    report = ImportReport()
    wanted = _valid_import_rows(rows, report)
    now = timezone.now()
    event_source = f"import:{source}"
    detail = {"consent_source": source, "imported_by": getattr(user, "username", "")}
    with transaction.atomic():
        existing = _existing(list(wanted))
        new = [e for e in wanted if e not in existing]
        Subscriber.objects.bulk_create(
            [Subscriber(email=e, name=wanted[e][1], status=Status.CONFIRMED, confirmed_at=now,
                        source=event_source[:SUBSCRIBER_SOURCE_MAX]) for e in new],
            batch_size=500,
        )
        pending = [s.pk for s in existing.values() if s.status == Status.PENDING]
        Subscriber.objects.filter(pk__in=pending).update(status=Status.CONFIRMED,
                                                         confirmed_at=now)
        for email, s in existing.items():
            if s.status == Status.CONFIRMED:
                report.already_confirmed += 1
            elif s.status != Status.PENDING:
                report.kept.append((wanted[email][0], email, s.status))
        created = _existing(new)
        events = [
            ConsentEvent(subscriber_id=s.pk, kind=Kind.IMPORT, source=event_source[:SOURCE_MAX],
                         detail={**detail, "line": wanted[s.email][0],
                                 "previous_status": "" if s.email in created else s.status})
            for s in [*created.values(), *(s for s in existing.values() if s.pk in pending)]
        ]
        ConsentEvent.objects.bulk_create(events, batch_size=500)
    report.created, report.confirmed = len(created), len(pending)
    report.kept.sort()
    return report
