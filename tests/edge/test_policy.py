"""Who may cache what (issue 5, target 3): logged-in users, previews, forms and anything that
sets a cookie are never cached; public reader pages carry their keys and a shared-cache TTL."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from masthead.edge.middleware import apply_policy
from tests import factories as f

pytestmark = pytest.mark.django_db

PUBLIC = "public, max-age=60, s-maxage=86400"


def _directives(response) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",")}


@pytest.fixture
def story():
    return f.article("A public story", tags=["energy"])


@pytest.mark.parametrize("path", ["/", "/articles/", "/section/europe/", "/kind/analysis/",
                                  "/briefs/", "/articles/{slug}/"])
def test_reader_pages_are_public_and_name_their_keys(client, story, path):
    response = client.get(path.format(slug=story.slug))
    assert response.status_code == 200, path
    assert response["Cache-Control"] == PUBLIC
    assert {"site", "latest", "briefs"} <= set(response["xkey"].split())
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_the_article_names_what_it_shows(client, story):
    keys = set(client.get(f"/articles/{story.slug}/")["xkey"].split())
    assert {f"article-{story.pk}", f"section-{story.section_id}",
            f"author-{story.authors.first().author_id}"} <= keys
    assert any(k.startswith("tag-") for k in keys)


def test_a_logged_in_editor_gets_private_pages_without_keys(client, story, django_user_model):
    editor = django_user_model.objects.create_superuser("ed", "ed@example.com", "pw")
    client.force_login(editor)
    for path in ("/", f"/articles/{story.slug}/", "/admin/"):
        response = client.get(path)
        assert {"private", "no-store"} <= _directives(response), path
        assert "xkey" not in response


def test_credentials_make_a_page_private(client, story):
    response = client.get("/", HTTP_AUTHORIZATION="Basic dXNlcjpwdw==")
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("path", ["/admin/login/", "/newsletter/", "/healthz",
                                  "/articles/no-such-story/", "/share/mastodon/?url=/"])
def test_admin_forms_health_and_errors_are_never_public(client, path):
    response = client.get(path)
    assert "public" not in response.get("Cache-Control", ""), path
    assert "xkey" not in response


def test_previews_are_never_public(client, story, django_user_model):
    editor = django_user_model.objects.create_superuser("ed2", "ed2@example.com", "pw")
    client.force_login(editor)
    response = client.get(f"/admin/pages/{story.pk}/view_draft/")
    assert response.status_code == 200
    assert {"private", "no-store"} <= _directives(response)


def test_a_plain_page_names_itself(client):
    from masthead.editorial.models import HomePage, StandardPage

    about = HomePage.objects.get().add_child(instance=StandardPage(title="About", slug="about"))
    about.save_revision().publish()
    response = client.get("/about/")
    assert response.status_code == 200
    assert response["Cache-Control"] == PUBLIC
    assert {f"page-{about.pk}", "site"} <= set(response["xkey"].split())


def test_posts_are_never_public(client):
    response = client.post("/newsletter/", {"email": "a@example.com"})
    assert "public" not in response.get("Cache-Control", "")


def test_a_response_that_sets_a_cookie_is_never_public():
    request = RequestFactory().get("/")
    response = HttpResponse("hello")
    response["xkey"] = "home"
    response.set_cookie("tracking", "1")
    assert apply_policy(request, response) is False
    assert response["Cache-Control"] == "private, no-store"
    assert "xkey" not in response


def test_a_view_choice_of_browser_lifetime_is_kept():
    request = RequestFactory().get("/feeds/")
    response = HttpResponse("feed")
    response["xkey"] = "feed"
    response["Cache-Control"] = "public, max-age=300"
    assert apply_policy(request, response) is True
    assert response["Cache-Control"] == "public, max-age=300, s-maxage=86400"


def test_static_files_keep_their_own_headers():
    request = RequestFactory().get("/static/css/site.css")
    response = HttpResponse("body{}")
    response["Cache-Control"] = "max-age=31536000, public, immutable"
    assert apply_policy(request, response) is False
    assert response["Cache-Control"] == "max-age=31536000, public, immutable"
