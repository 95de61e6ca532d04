"""The `moderator` group, holding the moderation permission (accounts.moderate_reviews)."""

from django.db import migrations


def create_moderator_group(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    # Permissions are normally created after all migrations (post_migrate); create this one
    # now, the same way, so the group can hold it on a fresh database.
    content_type, _ = ContentType.objects.get_or_create(app_label="accounts", model="user")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="moderate_reviews",
        defaults={"name": "Can moderate reviews"},
    )
    group, _ = Group.objects.get_or_create(name="moderator")
    group.permissions.add(permission)


def delete_moderator_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="moderator").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_moderator_group, delete_moderator_group),
    ]
