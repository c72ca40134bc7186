import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from masthead.briefs.models import Brief
from masthead.editorial.models import Author, PublishedArticle

pytestmark = pytest.mark.django_db


def test_demo_loads_a_complete_magazine_and_is_idempotent(client, capsys):
    call_command("demo")
    out = capsys.readouterr().out
    assert "admin" in out and "editor" in out and "contributor" in out
    records = PublishedArticle.objects.all()
    assert records.count() >= 12
    assert all(r.word_count >= 600 for r in records), [(r.slug, r.word_count) for r in records]
    assert len({r.section_id for r in records}) >= 4
    assert len({r.kind_id for r in records}) >= 3
    assert Brief.objects.live().count() >= 12
    assert Author.objects.count() >= 5
    assert User.objects.filter(username__in=["admin", "editor", "contributor"]).count() == 3
    call_command("demo")
    assert PublishedArticle.objects.count() == records.count()
    for url in ["/", "/about/", "/briefs/", f"/articles/{records.first().slug}/"]:
        assert client.get(url).status_code == 200
