"""Share links: plain, encoded, labelled links; the Mastodon hand-off goes only to a plain
server name and only shares pages of this site."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings

from masthead.discovery.share import ShareError, mastodon_instance
from tests import factories as f

pytestmark = pytest.mark.django_db

SITE = settings.SITE_URL
HEADLINE = "Ports & power: why 50% of cables land in one bay?"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[dict] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "share-link" in (a.get("class") or ""):
            self._in = {**a, "text": ""}
            self.links.append(self._in)

    def handle_endtag(self, tag):
        if tag == "a":
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._in["text"] += data


@pytest.fixture
def story():
    return f.article(HEADLINE, slug="ports-and-power")


def _share_links(client, story) -> dict[str, dict]:
    html = client.get(f"/articles/{story.slug}/").content.decode()
    parser = _Links()
    parser.feed(html)
    return {link["class"].split("--")[1]: link for link in parser.links}


def test_share_links_are_present_labelled_and_encoded(client, story):
    links = _share_links(client, story)
    url = f"{SITE}/articles/ports-and-power/"
    assert set(links) == {"email", "mastodon", "bluesky", "linkedin", "x", "copy"}
    for network, link in links.items():
        assert link["rel"] == "noopener noreferrer", network
        assert "utm_" not in link["href"]

    def query(href):
        return {k: v[0] for k, v in parse_qs(urlsplit(href).query, strict_parsing=True).items()}

    email = links["email"]["href"]
    assert email.startswith("mailto:?")
    assert query(email) == {"subject": HEADLINE, "body": f"{HEADLINE}\n\n{url}"}
    assert "+" not in email and " " not in email  # spaces as %20 for mail clients
    bluesky = links["bluesky"]["href"]
    assert bluesky.startswith("https://bsky.app/intent/compose?")
    assert query(bluesky) == {"text": f"{HEADLINE} {url}"}
    linkedin = links["linkedin"]["href"]
    assert linkedin.startswith("https://www.linkedin.com/sharing/share-offsite/?")
    assert query(linkedin) == {"url": url}
    x = links["x"]["href"]
    assert x.startswith("https://x.com/intent/post?") and query(x) == {"url": url, "text": HEADLINE}
    assert links["mastodon"]["href"] == "/share/mastodon/?url=%2Farticles%2Fports-and-power%2F"
    assert links["copy"]["href"] == url and links["copy"]["text"] == "Copy link"
    assert "data-share-copy" in links["copy"]
    assert links["bluesky"]["aria-label"] == "Share on Bluesky"
    assert links["x"]["aria-label"] == "Share on X" and links["x"]["text"] == "X"
    assert links["email"]["aria-label"] == "Share by email"


def test_share_links_use_the_social_headline(client):
    story = f.article("A long headline for the page", social_headline="Short and sharp")
    links = _share_links(client, story)
    assert "Short%20and%20sharp" in links["x"]["href"]


def test_no_third_party_scripts_on_the_article(client, story):
    html = client.get(f"/articles/{story.slug}/").content.decode()
    assert "bsky.app" in html
    for marker in ('src="http', "src='http", 'src="//'):
        assert f"<script {marker}" not in html and f'type="module" {marker}' not in html


def test_mastodon_form_asks_for_the_server(client, story):
    response = client.get("/share/mastodon/", {"url": "/articles/ports-and-power/"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="share-instance">Your Mastodon server</label>' in html
    assert 'name="csrfmiddlewaretoken"' in html and 'method="post"' in html
    assert "Ports &amp; power" in html
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("typed, host", [
    ("mastodon.social", "mastodon.social"),
    ("  Mastodon.Social  ", "mastodon.social"),
    ("social.example.org.", "social.example.org"),
    ("xn--mstdn-gra.example", "xn--mstdn-gra.example"),
])
def test_mastodon_redirects_to_the_readers_server(client, story, typed, host):
    response = client.post("/share/mastodon/",
                           {"url": "/articles/ports-and-power/", "instance": typed})
    assert response.status_code == 303
    target = urlsplit(response["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", host, "/share")
    assert parse_qs(target.query) == {"text": [f"{HEADLINE} {SITE}/articles/ports-and-power/"]}


@pytest.mark.parametrize("typed, message", [
    ("evil.example/path", "no path"),
    ("https://x", "without https://"),
    ("user@host", "no path, port or user name"),
    ("mastodon.social:8443", "no path, port or user name"),
    ("127.0.0.1", "not a server name"),
    ("[::1]", "no path, port or user name"),
    ("localhost", "not a server name"),
    ("me.localhost", "your own computer"),
    ("", "Enter the name of your Mastodon server"),
    ("   ", "Enter the name of your Mastodon server"),
    ("a" * 10_240, "too long"),
    ("-bad-.social", "not a server name"),
    ("bad..social", "not a server name"),
    ("javascript:alert(1)", "no path, port or user name"),
])
def test_mastodon_refuses_anything_but_a_plain_hostname(client, story, typed, message):
    response = client.post("/share/mastodon/",
                           {"url": "/articles/ports-and-power/", "instance": typed})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    assert "Location" not in response
    assert 'name="instance"' in html  # the form again, to correct the name


@pytest.mark.parametrize("url", [
    "https://evil.example/articles/x/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
    "", "articles/x/", "/articles/x/?next=https://evil.example",
])
def test_mastodon_refuses_to_share_another_site(client, story, url):
    for response in (client.get("/share/mastodon/", {"url": url}),
                     client.post("/share/mastodon/", {"url": url, "instance": "mastodon.social"})):
        assert response.status_code == 400
        assert "This page can only share pages of this site." in response.content.decode()
        assert "Location" not in response


def test_an_absolute_url_of_this_site_is_accepted(client, story):
    response = client.post("/share/mastodon/", {"url": f"{SITE}/articles/ports-and-power/",
                                                "instance": "mastodon.social"})
    assert response.status_code == 303


def test_the_hand_off_needs_the_csrf_token():
    """A page elsewhere cannot post readers through to a server of its choosing."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    response = strict.post("/share/mastodon/", {"url": "/", "instance": "mastodon.social"})
    assert response.status_code == 403


def test_instance_validation_unit():
    assert mastodon_instance("fosstodon.org") == "fosstodon.org"
    with pytest.raises(ShareError):
        mastodon_instance("10.0.0.1")
    with pytest.raises(ShareError):
        mastodon_instance("host\x00.social")
