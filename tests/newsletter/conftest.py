import pytest

from tests.smtp import SMTPServer


@pytest.fixture(scope="session")
def smtp_server():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server, settings):
    """Route Django's email to the real SMTP server for this test; yields its inbox."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    smtp_server.inbox.clear()
    yield smtp_server.inbox
    smtp_server.inbox.clear()
