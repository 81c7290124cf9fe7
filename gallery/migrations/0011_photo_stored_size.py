from typing import Any

from django.db import migrations, models
from django.db.models import F


def count_originals(apps: Any, schema_editor: Any) -> None:
    # Photos stored before this field: their original's size is known; their renditions (a few
    # percent of it) are not without reading the storage, so the quota counts the original only.
    Photo = apps.get_model("gallery", "Photo")
    Photo.objects.filter(stored_size=0).update(stored_size=F("size"))


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0010_album_share"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="stored_size",
            field=models.PositiveBigIntegerField(
                default=0,
                help_text="Bytes this photo takes in storage: the original, display and thumbnail files.",
            ),
        ),
        migrations.RunPython(count_originals, migrations.RunPython.noop),
    ]
