"""Albums get an order, a sort choice and a cover.

`Album.photos` gets an explicit through model, AlbumPhoto, on the table the ManyToManyField
already had (gallery_album_photos): no row is copied or lost, the table only gains `position`.
Existing albums are numbered newest taken first, the order they were shown in until now, so
that each looks the same under the new default sort (custom order).
"""

import django.db.models.deletion
from django.db import migrations, models


def number_by_taken_at(apps, schema_editor):
    album_photo = apps.get_model("gallery", "AlbumPhoto")
    rows = album_photo.objects.order_by("album_id", "-photo__taken_at", "-photo_id").values_list(
        "id", "album_id"
    )
    changed = []
    album_id, position = None, 0
    for row_id, row_album in rows.iterator(chunk_size=2000):
        position = position + 1 if row_album == album_id else 0
        album_id = row_album
        changed.append(album_photo(id=row_id, position=position))
        if len(changed) >= 2000:
            album_photo.objects.bulk_update(changed, ["position"])
            changed = []
    album_photo.objects.bulk_update(changed, ["position"])


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0008_photo_owner_uploaded_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AlbumPhoto",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "album",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to="gallery.album",
                            ),
                        ),
                        (
                            "photo",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="album_memberships",
                                to="gallery.photo",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "gallery_album_photos",
                        "unique_together": {("album", "photo")},
                    },
                ),
                migrations.AlterField(
                    model_name="album",
                    name="photos",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="albums",
                        through="gallery.AlbumPhoto",
                        to="gallery.photo",
                        verbose_name="photos",
                    ),
                ),
            ],
            # The table, its columns, foreign keys and unique index are already there.
            database_operations=[],
        ),
        migrations.AddField(
            model_name="albumphoto",
            name="position",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="albumphoto",
            index=models.Index(fields=["album", "position"], name="album_photo_position"),
        ),
        migrations.AddField(
            model_name="album",
            name="cover",
            field=models.ForeignKey(
                blank=True,
                help_text="Picked by the owner; none (or one no longer in the album) means the first photo.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="gallery.photo",
                verbose_name="cover photo",
            ),
        ),
        migrations.AddField(
            model_name="album",
            name="sort_order",
            field=models.CharField(
                choices=[("manual", "Custom order"), ("newest", "Newest first"), ("oldest", "Oldest first")],
                default="manual",
                max_length=8,
                verbose_name="sort order",
            ),
        ),
        migrations.RunPython(number_by_taken_at, migrations.RunPython.noop, elidable=True),
    ]
