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
    yield smtp_server.receive_email(settings)
    smtp_server.inbox.clear()
