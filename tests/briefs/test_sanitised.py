"""A brief's body written by code, not the admin's editor (a script, `objects.create`,
`bulk_create`, `update()`, an import), still reaches readers cleaned: on the stream page, in
the briefs feed and in the round-up email. No script, no event handler, no javascript:/data:
link; formatting, outbound links and internal links survive."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from masthead.briefs.models import Brief
from masthead.briefs.rendering import bodies_html, body_html
from masthead.newsletter.models import Issue, IssueItem
from masthead.newsletter.selectors_issues import issue_stories
from tests import factories as f

pytestmark = pytest.mark.django_db

HOSTILE = (
    '<p>Ports <b>reopen</b>. <a href="https://wire.example/story">Source</a>'
    '<script>alert("brief")</script>'
    '<img src="x" onerror="alert(2)">'
    '<a href="javascript:alert(3)">click</a> '
    '<a href=" JaVaScRiPt:alert(4)">spaced</a> '
    '<a href="data:text/html,&lt;script&gt;alert(5)&lt;/script&gt;">data</a>'
    '<span onmouseover="alert(6)">hover</span>'
    '<iframe src="https://evil.example/"></iframe>'
    '<style>body{display:none}</style></p>'
)
DANGER = re.compile(r"<script|<iframe|<style|<img|\son[a-z]+=|javascript:|data:text", re.I)


def assert_clean(html: str) -> None:
    assert not DANGER.search(html), html
    assert "alert" not in html, html
    assert "<b>reopen</b>" in html  # formatting kept
    assert '<a href="https://wire.example/story">Source</a>' in html  # outbound links kept


def live(**fields) -> dict:
    section = f.section("europe")
    return {"section": section, "live": True, "first_published_at": timezone.now(), **fields}


def stream(client) -> str:
    response = client.get("/briefs/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_brief_made_with_objects_create_is_clean_on_the_stream(client):
    Brief.objects.create(headline="Made by a script", **live(body=HOSTILE))
    html = stream(client)
    assert "Made by a script" in html
    body = html.split('class="brief__body">', 1)[1].split("</div>", 1)[0]
    assert_clean(body)


def test_briefs_made_in_bulk_and_edited_by_update_are_clean_too(client):
    made = Brief.objects.bulk_create([
        Brief(headline=f"Imported {n}", **live(body=HOSTILE)) for n in range(3)])
    assert len(made) == 3
    Brief.objects.filter(headline="Imported 0").update(
        body='<p><b>reopen</b> <a href="https://wire.example/story">Source</a>'
             '<a href="javascript:alert(7)" onclick="alert(8)">x</a></p>')
    html = stream(client)
    bodies = re.findall(r'class="brief__body">(.*?)</div>', html, re.S)
    assert len(bodies) == 3
    for body in bodies:
        assert_clean(body)


def test_the_feed_and_the_round_up_email_get_the_clean_body(client):
    Brief.objects.create(headline="For the feed", **live(body=HOSTILE))
    feed = json.loads(client.get("/feeds/briefs/feed.json").content)
    # The feeds' own cleaner (masthead/core/text.py) keeps images, made absolute; the rest holds.
    content = feed["items"][0]["content_html"]
    assert_clean(re.sub(r'<img src="https?://[^"]*">', "", content))

    brief = Brief.objects.create(headline="For the email", **live(body=HOSTILE))
    now = timezone.now()
    issue = Issue.objects.create(subject="Round-up", period_start=now, period_end=now)
    IssueItem.objects.create(issue=issue, brief=brief, sort_order=0)
    [story] = issue_stories(issue.pk)
    assert_clean(story["body_html"])
    assert "alert" not in story["body_text"]


def test_internal_links_are_expanded_and_kept(client):
    story = f.article("Our analysis")
    brief = f.brief("Linked")
    Brief.objects.filter(pk=brief.pk).update(
        body=f'<p><b>reopen</b> <a href="https://wire.example/story">Source</a> and '
             f'<a linktype="page" id="{story.pk}">our analysis</a>.</p>')
    html = stream(client)
    assert f'<a href="/articles/{story.slug}/">our analysis</a>' in html


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx)


def test_many_bodies_render_with_a_fixed_number_of_queries():
    story = f.article("Our analysis")
    bodies = [f'<p><a linktype="page" id="{story.pk}">n{n}</a></p>' for n in range(10)]
    # The page links of a whole stream page are looked up together, not once per brief.
    assert queries(lambda: bodies_html(bodies)) == queries(lambda: bodies_html(bodies[:1])) > 0
    rendered = bodies_html(bodies)
    assert rendered[3] == f'<p><a href="/articles/{story.slug}/">n3</a></p>'
    assert rendered == [body_html(b) for b in bodies]
