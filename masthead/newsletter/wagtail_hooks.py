"""Admin screens: subscribers (admin_subscribers) and round-up issues (admin_issues)."""

from wagtail import hooks

from masthead.newsletter import admin_issues, admin_outbox, admin_subscribers

admin_subscribers.register()
admin_issues.register()
hooks.register("register_admin_viewset", admin_outbox.OutboxViewSet)


ISSUE_ACTIONS = {
    "test": ("Sent a test", "Sent a test of the round-up"),
    "schedule": ("Scheduled", "Scheduled the round-up"),
    "unschedule": ("Unscheduled", "Took the round-up off the schedule"),
    "send": ("Started sending", "Started sending the round-up"),
    "pause": ("Paused sending", "Paused sending"),
    "resume": ("Resumed sending", "Resumed sending"),
    "cancel": ("Cancelled sending", "Cancelled the rest of the send"),
}


@hooks.register("register_log_actions")
def register_issue_actions(actions):
    """Editors' send controls appear in each round-up's history (Wagtail's log)."""
    for name, (label, message) in ISSUE_ACTIONS.items():
        actions.register_action(f"newsletter.{name}", label, message)
