"""Admin screens: subscribers (admin_subscribers) and round-up issues (admin_issues)."""

from masthead.newsletter import admin_issues, admin_subscribers

admin_subscribers.register()
admin_issues.register()
