"""Sending round-ups: the issue's send lease, failure count, test-send record and drafted day.

Also gives the Editors and Moderators groups the round-up permissions (add/change/view issue)
and the subscriber permissions they need (view/change subscriber). Contributors get none, so
they cannot see, edit or send an issue.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

ROLES = ("Editors", "Moderators")
CODENAMES = ("add_issue", "change_issue", "view_issue", "view_subscriber", "change_subscriber")


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    perms = list(Permission.objects.filter(content_type__app_label="newsletter",
                                           codename__in=CODENAMES))
    missing = set(CODENAMES) - {p.codename for p in perms}
    if missing:
        raise LookupError(f"newsletter permissions missing: {sorted(missing)}")
    for name in ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    perms = Permission.objects.filter(content_type__app_label="newsletter",
                                      codename__in=CODENAMES)
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0001_initial"),
        ("editorial", "0002_newsroom"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="issue",
            name="drafted_for",
            field=models.DateField(blank=True, help_text="The sending day the worker drafted this issue for.", null=True, unique=True),
        ),
        migrations.AddField(
            model_name="issue",
            name="failures",
            field=models.PositiveIntegerField(default=0, help_text="Failed delivery attempts since sending started or last resumed."),
        ),
        migrations.AddField(
            model_name="issue",
            name="send_lease_until",
            field=models.DateTimeField(blank=True, help_text="While sending: the send loop renews this; once it lapses the clock restarts it.", null=True),
        ),
        migrations.AddField(
            model_name="issue",
            name="test_sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="issue",
            name="test_sent_to",
            field=models.CharField(blank=True, max_length=254),
        ),
        migrations.RunPython(grant, revoke),
    ]
