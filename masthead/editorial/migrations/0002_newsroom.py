"""Set up a new newsroom: the page tree, sections, kinds, roles and the review workflow."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SECTIONS = [
    ("Europe", "europe", "From the Atlantic to the Urals: the union, its neighbours and its wars."),
    ("Latin America", "latin-america", "Politics, resources and power from Mexico to Patagonia."),
    ("Africa", "africa", "Trade, governance and security across the continent."),
    ("Middle East", "middle-east", "The Gulf, the Levant, Iran, Turkey and North Africa."),
    ("Asia-Pacific", "asia-pacific", "From the Indian Ocean to the Pacific islands."),
    ("North America", "north-america", "The United States, Canada and Mexico in the world."),
    ("Global", "global", "Institutions, markets and the problems no border contains."),
]
KINDS = [
    ("Analysis", "analysis", "Explaining what is happening and why it matters."),
    ("Opinion", "opinion", "Arguments from our writers and contributors."),
    ("News", "news", "What happened, reported briefly."),
    ("Reporting", "reporting", "Stories from the ground."),
    ("Interview", "interview", "Conversations with people who know."),
    ("Review", "review", "Books, films and reports, reviewed."),
]


def _perm(apps, app_label, codename):
    Permission = apps.get_model("auth.Permission")
    try:
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)
    except Permission.DoesNotExist:
        raise LookupError(f"permission {app_label}.{codename} is missing") from None


def setup(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("editorial.HomePage")
    ArticleIndexPage = apps.get_model("editorial.ArticleIndexPage")
    Section = apps.get_model("editorial.Section")
    Kind = apps.get_model("editorial.Kind")
    Group = apps.get_model("auth.Group")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")

    for i, (name, slug, desc) in enumerate(SECTIONS):
        Section.objects.get_or_create(slug=slug, defaults={"name": name, "description": desc,
                                                           "sort_order": i})
    for i, (name, slug, desc) in enumerate(KINDS):
        Kind.objects.get_or_create(slug=slug, defaults={"name": name, "description": desc,
                                                        "sort_order": i})

    # Replace Wagtail's welcome page with the magazine's home and article archive.
    root = Page.objects.get(depth=1)
    Page.objects.filter(depth=2, content_type__app_label="wagtailcore").delete()
    locale = Locale.objects.order_by("pk").first()
    home_ct, _ = ContentType.objects.get_or_create(app_label="editorial", model="homepage")
    index_ct, _ = ContentType.objects.get_or_create(app_label="editorial", model="articleindexpage")
    home = HomePage.objects.create(
        title="Home", draft_title="Home", slug="home", content_type=home_ct, path=root.path + "0001",
        depth=2, numchild=1, url_path="/home/", locale=locale, live=True,
    )
    ArticleIndexPage.objects.create(
        title="Articles", draft_title="Articles", slug="articles", content_type=index_ct,
        path=home.path + "0001", depth=3, numchild=0, url_path="/home/articles/", locale=locale,
        live=True,
    )
    root.numchild = 1
    root.save(update_fields=["numchild"])
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page_id=home.pk, is_default_site=True,
                        site_name="The Meridian Review")

    # Wagtail adds a snippet's publish permission after migrating; the roles need it now.
    Permission = apps.get_model("auth.Permission")
    brief_ct, _ = ContentType.objects.get_or_create(app_label="briefs", model="brief")
    Permission.objects.get_or_create(content_type=brief_ct, codename="publish_brief",
                                     defaults={"name": "Can publish brief"})

    # Roles: contributors write and submit; editors review, publish and schedule.
    admin_access = _perm(apps, "wagtailadmin", "access_admin")
    contributors, _ = Group.objects.get_or_create(name="Contributors")
    editors, _ = Group.objects.get_or_create(name="Editors")
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    contributors.permissions.add(
        admin_access,
        _perm(apps, "core", "add_mastheadimage"),
        _perm(apps, "core", "choose_image"),
        _perm(apps, "editorial", "view_author"),
        _perm(apps, "editorial", "view_section"),
        _perm(apps, "editorial", "view_kind"),
        _perm(apps, "briefs", "add_brief"),
        _perm(apps, "briefs", "change_brief"),
    )
    editor_perms = [admin_access, _perm(apps, "core", "change_magazinesettings")]
    for model in ("mastheadimage",):
        editor_perms += [_perm(apps, "core", f"{a}_{model}") for a in ("add", "change", "delete")] + [_perm(apps, "core", "choose_image")]
    for model in ("author", "section", "kind"):
        editor_perms += [_perm(apps, "editorial", f"{a}_{model}") for a in ("add", "change", "delete", "view")]
    editor_perms += [_perm(apps, "briefs", f"{a}_brief") for a in ("add", "change", "delete", "publish", "view")]
    editors.permissions.add(*editor_perms)
    moderators.permissions.add(*editor_perms)

    index = Page.objects.get(path=home.path + "0001")
    GroupPagePermission.objects.filter(group__in=[contributors, editors]).delete()
    GroupPagePermission.objects.create(group=contributors, page=index,
                                       permission=_perm(apps, "wagtailcore", "add_page"))
    for codename in ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"):
        GroupPagePermission.objects.get_or_create(
            group=editors, page=root, permission=_perm(apps, "wagtailcore", codename)
        )

    # One review step: an editor (or moderator) approves and publishes.
    task_ct, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    WorkflowPage.objects.filter(page=root).delete()
    task = GroupApprovalTask.objects.create(name="Editor review", content_type=task_ct, active=True)
    task.groups.set([editors, moderators])
    workflow = Workflow.objects.create(name="Editorial review", active=True)
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.create(workflow=workflow, page=root)


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0001_initial"),
        ("briefs", "0002_initial"),
        ("core", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
    ]
    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
