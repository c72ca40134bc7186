"""Reads about subscribers: for the confirm and unsubscribe pages and the editors' screens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from masthead.newsletter import tokens
from masthead.newsletter.models import ConsentEvent, Subscriber

Kind = ConsentEvent.Kind
JOINING = (Kind.CONFIRM, Kind.IMPORT)  # every import event confirms an address
LEAVING = (Kind.UNSUBSCRIBE, Kind.BOUNCE, Kind.COMPLAINT)


def subscriber_by_confirm_token(token: str) -> Subscriber | None:
    """The subscriber a confirmation link names, if the link is genuine and unexpired."""
    found = tokens.read_confirm_token(token)
    if found is None:
        return None
    pk, email = found
    return Subscriber.objects.filter(pk=pk, email=email).first()


def subscriber_by_unsubscribe_token(token: str) -> Subscriber | None:
    subscriber_id = tokens.read_unsubscribe_token(token)
    if subscriber_id is None:
        return None
    return Subscriber.objects.filter(pk=subscriber_id).first()


def status_counts() -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, zeros included, in the model's order."""
    counts = dict(Subscriber.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return [(value, label, counts.get(value, 0)) for value, label in Subscriber.Status.choices]


def consent_history(subscriber_id: int) -> list[ConsentEvent]:
    return list(ConsentEvent.objects.filter(subscriber_id=subscriber_id).order_by("at", "pk"))


@dataclass(frozen=True)
class Week:
    start: date
    joined: int  # confirmed (or imported) during the week
    left: int  # confirmed subscribers who unsubscribed, bounced or complained
    total: int  # confirmed subscribers at the end of the week


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def confirmed_by_week(*, weeks: int = 26, today: date | None = None) -> list[Week]:
    """Confirmed subscribers week by week (Monday to Sunday), oldest first, from the consent log.

    A departure counts only if the subscriber was confirmed just before it (the event's
    previous_status), so a pending address that unsubscribes changes nothing.
    """
    today = today or timezone.localdate()
    first = _week_start(today) - timedelta(weeks=weeks - 1)
    since = timezone.make_aware(datetime.combine(first, time.min))
    joins = Q(kind__in=JOINING)
    leaves = Q(kind__in=LEAVING, detail__previous_status=Subscriber.Status.CONFIRMED)
    before = ConsentEvent.objects.filter(at__lt=since).aggregate(
        joined=Count("pk", filter=joins), left=Count("pk", filter=leaves)
    )
    rows = (
        ConsentEvent.objects.filter(at__gte=since)
        .annotate(week=TruncWeek("at"))
        .order_by()
        .values("week")
        .annotate(joined=Count("pk", filter=joins), left=Count("pk", filter=leaves))
    )
    by_week = {timezone.localtime(r["week"]).date() if isinstance(r["week"], datetime)
               else r["week"]: r for r in rows}
    total = before["joined"] - before["left"]
    result = []
    for i in range(weeks):
        start = first + timedelta(weeks=i)
        row = by_week.get(start, {"joined": 0, "left": 0})
        total += row["joined"] - row["left"]
        result.append(Week(start=start, joined=row["joined"], left=row["left"], total=total))
    return result
