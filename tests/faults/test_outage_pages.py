"""A database or disk outage answers a styled 503 with Retry-After, never a 500 traceback.

The real outage (PostgreSQL restarted under traffic) is tests/faults/test_postgres_restart.py;
these pin the answer itself, wherever in the request the outage is met.
"""

from __future__ import annotations

import errno

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from masthead.core import versioning
from masthead.editorial import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    # The handler's answer, not the exception: as a browser would see it.
    return Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")


def _fail(exc: BaseException):
    def fail(*args, **kwargs):
        raise exc
    return fail


def _assert_unavailable(response, heading: str):
    assert response.status_code == 503
    assert response["Retry-After"].isdigit() and int(response["Retry-After"]) > 0
    assert response["Cache-Control"] == "private, no-store"
    assert "xkey" not in response
    body = response.content.decode()
    assert heading in body and "try again" in body
    assert "Traceback" not in body and "OperationalError" not in body


def test_database_down_in_the_outermost_middleware_is_a_503(reader, monkeypatch):
    # EdgeMiddleware reads the content version before any view runs.
    monkeypatch.setattr(versioning, "current", _fail(OperationalError("connection refused")))
    _assert_unavailable(reader.get("/"), "Back in a moment")


def test_database_gone_inside_a_view_is_a_503(reader, monkeypatch):
    monkeypatch.setattr(selectors, "article_by_slug",
                        _fail(InterfaceError("connection already closed")))
    _assert_unavailable(reader.get("/articles/some-story/"), "Back in a moment")


def test_a_full_disk_is_a_503_naming_storage(reader, monkeypatch):
    monkeypatch.setattr(versioning, "current",
                        _fail(OSError(errno.ENOSPC, "No space left on device")))
    _assert_unavailable(reader.get("/"), "We could not store that file")


def test_any_other_error_is_still_the_500_page(reader, monkeypatch):
    monkeypatch.setattr(versioning, "current", _fail(ValueError("a bug")))
    response = reader.get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "Retry-After" not in response
