"""Background work for sign-ups. Tasks take ids, refetch, and are safe to run twice."""

from django_tasks import task

from masthead.newsletter.services import confirmation


@task()
def send_confirmation(subscriber_id: int) -> bool:
    """Send the double opt-in email (enqueued on commit by subscriber_sign_up)."""
    return confirmation.confirmation_send(subscriber_id=subscriber_id)
