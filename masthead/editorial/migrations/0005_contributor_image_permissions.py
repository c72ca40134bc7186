"""Let contributors upload and choose images, as docs/editors.md says they can.

0002_newsroom gave Contributors the model permissions add_mastheadimage and choose_image, but
Wagtail reads image permissions per collection (GroupCollectionPermission), so contributors
could neither upload a top image nor pick one in the chooser. Editors and Moderators already
have theirs on the root collection from Wagtail's own migrations.
"""

from django.db import migrations

CODENAMES = ("add_image", "choose_image")


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    Collection = apps.get_model("wagtailcore.Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    group = Group.objects.filter(name="Contributors").first()
    root = Collection.objects.filter(depth=1).first()
    if group is None or root is None:
        return
    for codename in CODENAMES:
        permission = Permission.objects.get(content_type__app_label="wagtailimages",
                                            codename=codename)
        GroupCollectionPermission.objects.get_or_create(group=group, collection=root,
                                                        permission=permission)


def revoke(apps, schema_editor):
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    GroupCollectionPermission.objects.filter(
        group__name="Contributors", collection__depth=1,
        permission__content_type__app_label="wagtailimages", permission__codename__in=CODENAMES,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0004_listing_indexes_cover_ids"),
        ("wagtailimages", "0027_image_description"),
        ("wagtailcore", "0098_apitoken"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
