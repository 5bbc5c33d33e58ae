"""The newsroom's roles and what each may do. Applied by a data migration."""

from __future__ import annotations

READER_OF_REFERENCE_DATA = [
    "articles.view_section",
    "articles.view_source",
    "articles.view_tag",
    "people.view_person",
]

REPORTER = [
    *READER_OF_REFERENCE_DATA,
    "articles.view_article",
    "articles.add_article",
    "articles.change_article",
    "articles.submit_article",
    "articles.add_tag",
    "people.add_person",
    *[
        f"articles.{verb}_{model}"
        for model in ("byline", "credit", "relatedlink", "taggedarticle")
        for verb in ("view", "add", "change", "delete")
    ],
    "articles.view_correction",
    "articles.view_revision",
    "articles.view_workflowevent",
    # The image library: reporters upload and caption their pictures.
    "articles.view_image",
    "articles.add_image",
    "articles.change_image",
]

EDITOR = [
    *REPORTER,
    "articles.review_article",
    "articles.correct_article",
    "articles.take_over_article",
    "articles.share_preview_article",
    "articles.add_correction",
    "articles.change_correction",
    "articles.delete_correction",
    "articles.view_previewlink",
    "articles.add_previewlink",
    "articles.change_previewlink",
    "articles.change_tag",
    "articles.delete_image",
    "articles.add_source",
    "articles.change_source",
    "people.change_person",
]

PUBLISHER = [
    *EDITOR,
    "articles.publish_article",
    "articles.add_section",
    "articles.change_section",
]

ROLES: dict[str, list[str]] = {
    "Reporter": REPORTER,
    "Editor": EDITOR,
    "Publisher": PUBLISHER,
}


def apply_roles(apps, roles: dict[str, list[str]] | None = None) -> None:
    """Create the role groups and give each exactly its permissions (idempotent).

    Migrations pass the roles as they stood when written (a frozen copy), so replaying an old
    migration never asks for a permission whose model does not exist yet.
    """
    roles = ROLES if roles is None else roles
    from django.contrib.auth.management import create_permissions

    # On a fresh database permissions are only made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in dict.fromkeys(perms):
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
