"""The local outbox: the default mail transport of a one-machine install, readable in the admin."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from masthead.core import outbox
from masthead.newsletter.models import Subscriber

pytestmark = pytest.mark.django_db
INDEX = "/admin/newsletter/outbox/"


@pytest.fixture
def outbox_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = "masthead.core.outbox.OutboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    return tmp_path / "outbox"


def login(username: str, group: str | None) -> Client:
    u = User.objects.create_user(username, f"{username}@example.org", "pw", is_staff=True,
                                 is_superuser=group is None)
    if group:
        u.groups.add(Group.objects.get(name=group))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(u)
    return client


@pytest.fixture
def sign_up(django_capture_on_commit_callbacks):
    def sign_up(email="reader@example.org"):
        with django_capture_on_commit_callbacks(execute=True):  # the confirmation task
            response = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="203.0.113.9").post(
                "/newsletter/", {"email": email, "name": "Reader"})
        assert response.status_code in (200, 303)

    return sign_up


def test_the_default_email_url_is_the_outbox(tmp_path):
    """With no EMAIL_URL set, mail goes to VAR_DIR/outbox (the production settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    env.update(DJANGO_SETTINGS_MODULE="masthead.settings", VAR_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings as s; "
         "print(s.EMAIL_BACKEND, s.EMAIL_FILE_PATH)"],
        env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["masthead.core.outbox.OutboxBackend", str(tmp_path / "outbox")]


def test_a_confirmation_email_lands_in_the_outbox_and_reads_in_the_admin(outbox_dir, sign_up):
    sign_up()
    files = sorted(outbox_dir.glob("*.eml"))
    assert len(files) == 1 and not list(outbox_dir.glob(".*.tmp"))
    shown, total = outbox.entries()
    assert total == 1 and "reader@example.org" in shown[0].to
    admin = login("admin", None)
    page = admin.get(INDEX).content.decode()
    assert "1 message" in page and shown[0].subject in page
    message = admin.get(f"{INDEX}{shown[0].name}/").content.decode()
    subscriber = Subscriber.objects.get(email="reader@example.org")
    assert "/newsletter/confirm/" in message  # the link, in both parts
    assert '<iframe id="outbox-html" title="The HTML part of the message" sandbox srcdoc="' \
        in message  # sandboxed: no scripts, no same origin
    raw = admin.get(f"{INDEX}{shown[0].name}/raw/")
    assert raw["Content-Type"] == "message/rfc822"
    assert b"reader@example.org" in raw.content
    assert subscriber.status == "pending"


@pytest.mark.parametrize("name", ["../../etc/passwd", "..%2F..%2Fsecret_key", "x.eml",
                                  "20261127T000000000000-zzzzzzzzzzzz.eml"])
def test_only_outbox_file_names_are_served(outbox_dir, name):
    admin = login("admin", None)
    assert admin.get(f"{INDEX}{name}/").status_code == 404
    assert admin.get(f"{INDEX}{name}/raw/").status_code == 404


def test_contributors_cannot_read_the_outbox_and_it_is_off_with_real_mail(outbox_dir, settings,
                                                                         sign_up):
    sign_up()
    name = outbox.entries()[0][0].name
    contributor = login("contributor", "Contributors")
    for url in (INDEX, f"{INDEX}{name}/", f"{INDEX}{name}/raw/"):
        assert contributor.get(url).status_code in (302, 403)
    # Editors hold view_subscriber (newsletter migration 0002): they may read it.
    assert login("editor", "Editors").get(f"{INDEX}{name}/").status_code == 200
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert login("admin", None).get(INDEX).status_code == 404
