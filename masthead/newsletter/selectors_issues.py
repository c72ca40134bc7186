"""Reads for round-up issues: what an issue shows, and how far its sending has got.

An issue's stories come from the reader records rendered at publish (PublishedArticle) and from
live briefs, in a fixed number of queries however many items it has. An item whose article or
brief is no longer live is left out of the email.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.html import strip_tags

from masthead.briefs.models import Brief
from masthead.briefs.rendering import body_html as brief_body_html
from masthead.editorial.models import Kind, PublishedArticle
from masthead.newsletter.models import Delivery, Issue, IssueItem

BRIEFS_HEADING = "In brief"
ARTICLE_FIELDS = ("page_id", "url", "headline", "dek", "kind_id", "authors", "image_url",
                  "image_alt", "published_at")
_RELATIVE_LINK = re.compile(r'(\s(?:href|src)=")/(?!/)')


def absolute(url: str) -> str:
    """A site-relative URL made absolute: email clients have no page to resolve it against."""
    return f"{settings.SITE_URL}{url}" if url.startswith("/") and not url.startswith("//") else url


def absolute_links(html: str) -> str:
    return _RELATIVE_LINK.sub(rf'\1{settings.SITE_URL}/', html)


def _byline(authors: list[dict]) -> str:
    names = [a.get("name", "") for a in authors if a.get("name")]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _article_entry(record: dict, kind_name: str) -> dict:
    return {
        "type": "article",
        "headline": record["headline"],
        "dek": record["dek"],
        "url": absolute(record["url"]),
        "image_url": absolute(record["image_url"]) if record["image_url"] else "",
        "image_alt": record["image_alt"],
        "byline": _byline(record["authors"] or []),
        "kind": kind_name,
        "published_at": record["published_at"],
    }


def _brief_entry(brief: dict) -> dict:
    body_html = absolute_links(brief_body_html(brief["body"]))  # cleaned (briefs/rendering.py)
    return {
        "type": "brief",
        "headline": brief["headline"],
        "body_html": body_html,
        "body_text": html.unescape(strip_tags(body_html)).strip(),
        "url": absolute(f"/briefs/#brief-{brief['id']}"),
        "source_url": brief["source_url"],
        "source_name": brief["source_name"],
    }


def issue_stories(issue_id: int) -> list[dict]:
    """The issue's live stories in the editors' order, each a flat dict ready for the email."""
    items = list(IssueItem.objects.filter(issue_id=issue_id).order_by("sort_order", "pk")
                 .values_list("article_id", "brief_id"))
    article_ids = [a for a, _ in items if a]
    brief_ids = [b for _, b in items if b]
    records = ({r["page_id"]: r for r in PublishedArticle.objects.filter(
        page_id__in=article_ids).values(*ARTICLE_FIELDS)} if article_ids else {})
    briefs = ({b["id"]: b for b in Brief.objects.live().filter(pk__in=brief_ids).values(
        "id", "headline", "body", "source_url", "source_name")} if brief_ids else {})
    kinds = dict(Kind.objects.values_list("id", "name")) if records else {}
    stories = []
    for article_id, brief_id in items:
        if article_id in records:
            record = records[article_id]
            stories.append(_article_entry(record, kinds.get(record["kind_id"], "")))
        elif brief_id in briefs:
            stories.append(_brief_entry(briefs[brief_id]))
    return stories


def grouped(stories: list[dict]) -> list[dict]:
    """Consecutive stories of one kind under one heading (briefs under "In brief")."""
    groups: list[dict] = []
    for story in stories:
        heading = story["kind"] if story["type"] == "article" else BRIEFS_HEADING
        if not groups or groups[-1]["heading"] != heading:
            groups.append({"heading": heading, "stories": []})
        groups[-1]["stories"].append(story)
    return groups


# --- progress -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    status: str
    status_label: str
    recipients: int
    sent: int
    failed: int
    skipped: int
    pending: int
    started_at: datetime | None
    finished_at: datetime | None
    paused_reason: str
    at: datetime

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped

    @property
    def percent(self) -> float:
        return round(100 * self.done / self.recipients, 1) if self.recipients else 100.0

    @property
    def rate(self) -> float:
        """Average messages accepted per second since sending started (to the end, if ended)."""
        if not self.started_at or not self.sent:
            return 0.0
        end = self.finished_at or self.at
        seconds = (end - self.started_at).total_seconds()
        return round(self.sent / seconds, 1) if seconds > 0 else 0.0

    def as_json(self) -> dict:
        return {
            "status": self.status, "status_label": self.status_label,
            "recipients": self.recipients, "sent": self.sent, "failed": self.failed,
            "skipped": self.skipped, "remaining": self.pending, "percent": self.percent,
            "rate": self.rate, "paused_reason": self.paused_reason,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "at": self.at.timestamp(),
        }


def issue_progress(issue: Issue) -> Progress:
    """Delivery counts by status: one GROUP BY over the (issue, status, lease) index."""
    counts = dict(Delivery.objects.filter(issue_id=issue.pk).values_list("status")
                  .annotate(n=Count("id")).order_by())
    S = Delivery.Status
    return Progress(
        status=issue.status, status_label=issue.get_status_display(),
        recipients=issue.recipients or sum(counts.values()),
        sent=counts.get(S.SENT, 0), failed=counts.get(S.FAILED, 0),
        skipped=counts.get(S.SKIPPED, 0), pending=counts.get(S.PENDING, 0),
        started_at=issue.started_at, finished_at=issue.finished_at,
        paused_reason=issue.paused_reason, at=timezone.now(),
    )
