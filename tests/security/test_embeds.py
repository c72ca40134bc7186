"""Embeds come only from the allowed providers (EMBED_PROVIDERS), and an embed of any other
address is refused without the server making a request: no fetching of internal addresses
(SSRF) through the admin's embed chooser, the body's embed block or publishing."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from wagtail.embeds import embeds
from wagtail.embeds.blocks import EmbedBlock, EmbedValue
from wagtail.embeds.exceptions import EmbedUnsupportedProviderException

from masthead.editorial.rendering import embed_html

pytestmark = pytest.mark.django_db


class Recorder(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"type": "rich", "html": "<script>alert(1)</script>"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def internal():
    """An 'internal service' on loopback that records every request it gets."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def outbound(monkeypatch):
    """Every request the oEmbed finder tries to make, answered by a fake provider."""
    calls = []

    class Reply:
        def raise_for_status(self):
            pass

        def json(self):
            return {"type": "video", "html": "<iframe></iframe>", "title": "A video"}

    def fake_get(url, params=None, **kwargs):
        calls.append((url, params))
        return Reply()

    monkeypatch.setattr("wagtail.embeds.finders.oembed.requests.get", fake_get)
    return calls


def refused_targets(base: str) -> list[str]:
    return [f"{base}/", f"{base}/oembed?url=x", "http://localhost:8000/admin/",
            "https://example.com/video/1", "http://169.254.169.254/latest/meta-data/",
            "file:///etc/passwd"]


def test_other_addresses_are_refused_without_a_request(internal, outbound):
    server, base = internal
    for url in refused_targets(base):
        with pytest.raises(EmbedUnsupportedProviderException):
            embeds.get_embed(url)
    assert server.paths == [] and outbound == []


def test_the_admin_embed_chooser_refuses_them_without_a_request(client, superuser, internal,
                                                                  outbound):
    server, base = internal
    client.force_login(superuser)
    response = client.post("/admin/embeds/chooser/upload/", {"embed-chooser-url": f"{base}/"})
    assert response.status_code == 200
    assert "Cannot find an embed for this URL." in response.json()["html"]
    assert server.paths == [] and outbound == []


def test_the_body_embed_block_refuses_them_without_a_request(internal, outbound):
    server, base = internal
    with pytest.raises(ValidationError):
        EmbedBlock().clean(EmbedValue(f"{base}/"))
    assert server.paths == [] and outbound == []


def test_publishing_never_renders_or_fetches_them(internal, outbound):
    server, base = internal
    for url in [*refused_targets(base), "javascript:alert(1)"]:
        assert embed_html(EmbedValue(url)) == ""
    assert server.paths == [] and outbound == []
    youtube = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert f'href="{youtube}"' in embed_html(EmbedValue(youtube))  # a plain link, not fetched
    assert outbound == []


def test_an_allowed_provider_is_asked_at_its_own_endpoint_only(outbound):
    embed = embeds.get_embed("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    assert embed.title == "A video"
    assert [url for url, _ in outbound] == ["https://www.youtube.com/oembed"]
