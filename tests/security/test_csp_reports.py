"""Content-Security-Policy violation reports: the policy asks for them, /csp-report/ logs them
(in both formats browsers send), refuses oversized and malformed bodies, is never cached, needs
no CSRF token, and bounds how much one address can make it log."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db

URL = "/csp-report/"
LOGGER = "masthead.security.csp"

LEGACY = {"csp-report": {
    "document-uri": "https://magazine.example/newsletter/confirm/?token=SECRET123#top",
    "referrer": "",
    "violated-directive": "script-src-elem",
    "effective-directive": "script-src-elem",
    "original-policy": "default-src 'self'; script-src 'self'",
    "disposition": "enforce",
    "blocked-uri": "https://evil.example/x.js?session=SECRET456",
    "status-code": 200,
}}
REPORTING_API = [
    {"type": "deprecation", "url": "https://magazine.example/", "body": {"id": "x"}},
    {"type": "csp-violation", "age": 10, "url": "https://magazine.example/articles/a/",
     "user_agent": "Chromium", "body": {
         "documentURL": "https://magazine.example/articles/a/",
         "effectiveDirective": "img-src", "blockedURL": "data",
         "disposition": "enforce", "statusCode": 200}},
]


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def post(client, data, content_type="application/csp-report", **extra):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(URL, body, content_type=content_type, **extra)


def violations(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_pages_ask_for_reports_here(client):
    response = client.get("/healthz")
    policy = response["Content-Security-Policy"]
    assert policy.endswith("; report-uri /csp-report/; report-to csp")
    assert response["Reporting-Endpoints"] == 'csp="/csp-report/"'


def test_a_report_is_logged_and_answered_with_no_content(client, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    response = post(client, LEGACY)
    assert response.status_code == 204 and response.content == b""
    assert "no-store" in response["Cache-Control"]
    [line] = violations(caplog)
    assert "script-src-elem" in line
    assert "https://evil.example/x.js" in line
    assert "https://magazine.example/newsletter/confirm/" in line
    assert "SECRET" not in line  # queries and fragments may carry tokens


def test_reporting_api_batches_are_logged_and_other_report_types_skipped(client, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    response = post(client, REPORTING_API, "application/reports+json")
    assert response.status_code == 204
    [line] = violations(caplog)
    assert "img-src blocked data on https://magazine.example/articles/a/" in line


def test_what_is_logged_is_short_and_one_line(client, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    forged = {"csp-report": {"effective-directive": "script-src\nFAKE LOG LINE",
                             "blocked-uri": "https://evil.example/" + "a" * 5000,
                             "document-uri": "https://magazine.example/"}}
    assert post(client, forged).status_code == 204
    [line] = violations(caplog)
    assert "\n" not in line and len(line) < 700


def test_an_oversized_report_is_refused(client, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    big = {"csp-report": {**LEGACY["csp-report"], "script-sample": "x" * 17_000}}
    response = post(client, big)
    assert response.status_code == 413
    assert "no-store" in response["Cache-Control"]
    assert violations(caplog) == []


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"csp-report": "x"}',
                                  b"42", b" "])
def test_junk_is_refused(client, caplog, body):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert post(client, body).status_code == 400
    assert violations(caplog) == []


def test_other_content_types_and_methods_are_refused(client):
    assert post(client, LEGACY, "text/plain").status_code == 415
    response = client.get(URL)
    assert response.status_code == 405
    assert "no-store" in response["Cache-Control"]


def test_no_csrf_token_is_needed(client):
    strict = client.__class__(enforce_csrf_checks=True)
    assert post(strict, LEGACY).status_code == 204


def test_each_address_is_rate_limited(client, settings, caplog):
    settings.CSP_REPORT_RATE_PER_IP = "3/m"
    caplog.set_level(logging.WARNING, logger=LOGGER)
    statuses = [post(client, LEGACY, REMOTE_ADDR="198.51.100.7").status_code for _ in range(5)]
    assert statuses == [204, 204, 204, 429, 429]
    assert len(violations(caplog)) == 3
    assert post(client, LEGACY, REMOTE_ADDR="198.51.100.8").status_code == 204  # another address
