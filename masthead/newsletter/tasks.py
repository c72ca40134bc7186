"""Background work for round-up issues. Tasks take ids, refetch, and are safe to run twice."""

import time

from django_tasks import task

from masthead.newsletter.services import deliveries

# The worker runs one task at a time: a long send yields after this many seconds (and queues
# its own continuation) so confirmation emails and purges queued meanwhile are not held up.
SLICE_SECONDS = 30


@task()
def send_issue(issue_id: int) -> dict:
    """Run the send loop for an issue that is sending (started, resumed or recovered)."""
    result = deliveries.issue_send_loop(issue_id=issue_id,
                                        deadline=time.monotonic() + SLICE_SECONDS)
    if result.outcome == "sliced":
        send_issue.enqueue(issue_id)
    return result.as_dict()
