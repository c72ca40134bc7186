"""Give every published record's tags their ids.

Records stored before tags carried an `id` ([{name, slug}] only) made each uncached article
page look its tags up by slug before it could find its related stories: one more query and
a fifth of the page's time. New records have ids (services.article_record_fields). This writes
them into the old ones, in batches; a tag that no longer exists keeps its name and slug only.
"""

from django.db import migrations

BATCH = 2000


def backfill(published_model, tag_model, *, batch: int = BATCH) -> int:
    """Add `id` to every tag of every record that lacks one; return how many records changed."""
    ids = dict(tag_model.objects.values_list("slug", "id"))
    changed, last = 0, 0
    while True:
        rows = list(published_model.objects.filter(page_id__gt=last).order_by("page_id")
                    .only("page_id", "tags")[:batch])
        if not rows:
            return changed
        last = rows[-1].page_id
        stale = []
        for row in rows:
            tags = row.tags or []
            filled = [t if "id" in t or t.get("slug") not in ids
                      else {"id": ids[t["slug"]], **t} for t in tags]
            if filled != tags:
                row.tags = filled
                stale.append(row)
        if stale:
            published_model.objects.bulk_update(stale, ["tags"])
            changed += len(stale)


def forwards(apps, schema_editor):
    backfill(apps.get_model("editorial", "PublishedArticle"), apps.get_model("taggit", "Tag"))


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0005_contributor_image_permissions"),
        ("taggit", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
