import pytest


@pytest.fixture
def live(django_capture_on_commit_callbacks):
    """Make content with publishing's on-commit tasks run, as after a real commit."""

    def make(factory, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return factory(*args, **kwargs)

    return make
