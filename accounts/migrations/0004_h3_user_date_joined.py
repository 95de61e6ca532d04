from django.db import migrations, models

from config.migration_ops import AddIndexOnline


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY (config.migration_ops): sign-ups go on while it builds.
    atomic = False

    dependencies = [
        ("accounts", "0003_api_keys"),
    ]

    operations = [
        AddIndexOnline(
            model_name="user",
            index=models.Index(fields=["date_joined"], name="user_date_joined"),
        ),
    ]
