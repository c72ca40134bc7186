"""What the hardening keeps in the database: recovery codes for two-factor authentication."""

from django.conf import settings
from django.db import models


class RecoveryCode(models.Model):
    """One of a user's one-time recovery codes, kept only as a salted hash.

    A code stands in for the authenticator app at one sign-in (`masthead.security.recovery`).
    A used code keeps its row (`used_at`) so the user can be told it was already used; making
    new codes deletes the old set.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="recovery_codes")
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"], name="recovery_code_user_unused")]

    def __str__(self) -> str:
        return f"Recovery code of {self.user} ({'used' if self.used_at else 'unused'})"
