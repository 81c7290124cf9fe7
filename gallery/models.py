"""Photos and albums. Models hold data and queries only: writes go through gallery.services."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    pass


def _random_name(folder: str, filename: str) -> str:
    # The client's file name never reaches storage: it may leak information or collide.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    token = uuid.uuid4().hex
    return f"photos/{folder}/{token[:2]}/{token}.{suffix}"


def original_upload_to(instance: Photo, filename: str) -> str:
    return _random_name("originals", filename)


def thumbnail_upload_to(instance: Photo, filename: str) -> str:
    return _random_name("thumbnails", filename)


def display_upload_to(instance: Photo, filename: str) -> str:
    return _random_name("display", filename)


class PhotoQuerySet(models.QuerySet["Photo"]):
    def live(self) -> PhotoQuerySet:
        """Photos not in the trash: the only ones the grid, albums, search and People show."""
        return self.filter(trashed_at__isnull=True)

    def trashed(self) -> PhotoQuerySet:
        return self.filter(trashed_at__isnull=False)


class Photo(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos", verbose_name=_("owner")
    )
    original = models.FileField(upload_to=original_upload_to, max_length=255)
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, max_length=255)
    display = models.FileField(upload_to=display_upload_to, max_length=255)
    title = models.CharField(_("title"), max_length=200, blank=True)
    caption = models.TextField(_("caption"), blank=True)
    original_filename = models.CharField(_("original file name"), max_length=255, blank=True)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the original file, hex.")
    width = models.PositiveIntegerField(_("width"), help_text="Width of the upright (EXIF-rotated) image.")
    height = models.PositiveIntegerField(_("height"), help_text="Height of the upright (EXIF-rotated) image.")
    size = models.PositiveBigIntegerField(_("size"), help_text="Size of the original file in bytes.")
    mime_type = models.CharField(_("type"), max_length=50)
    taken_at = models.DateTimeField(_("taken at"), help_text="EXIF DateTimeOriginal, else the upload time.")
    taken_at_from_exif = models.BooleanField(default=False)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class IndexStatus(models.TextChoices):
        PENDING = "pending", _("Waiting for face detection")
        INDEXED = "indexed", _("Faces indexed")
        NO_FACES = "no_faces", _("No faces found")
        FAILED = "failed", _("Face detection failed")
        OFF = "off", _("Face recognition is off")

    index_status = models.CharField(
        _("face detection"),
        max_length=16,
        choices=IndexStatus.choices,
        default=IndexStatus.PENDING,
        db_index=True,
    )
    index_model = models.CharField(max_length=200, blank=True, help_text="Model key of the last indexing.")
    index_error = models.CharField(max_length=500, blank=True)
    indexed_at = models.DateTimeField(null=True, blank=True)
    face_count = models.PositiveIntegerField(
        default=0, help_text="Faces found by the model of the last indexing (index_model)."
    )
    trashed_at = models.DateTimeField(
        _("moved to the trash at"),
        null=True,
        blank=True,
        help_text="Set while the photo is in the trash (hidden, files kept); purged after TRASH_DAYS.",
    )
    legacy_duplicate = models.BooleanField(
        default=False,
        editable=False,
        help_text="A byte-identical copy stored before the (owner, content hash) uniqueness rule; kept.",
    )

    objects = PhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ("-taken_at", "-id")
        indexes = (
            models.Index(fields=("owner", "-taken_at"), name="photo_owner_taken"),
            models.Index(fields=("owner", "content_hash"), name="photo_owner_hash"),
            models.Index(fields=("owner", "trashed_at"), name="photo_owner_trashed"),
        )
        constraints = (
            # One photo per owner and content: concurrent uploads of the same bytes store one.
            models.UniqueConstraint(
                fields=("owner", "content_hash"),
                condition=models.Q(legacy_duplicate=False),
                name="photo_owner_hash_unique",
            ),
        )

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or self.original_filename or gettext("Photo %(id)s") % {"id": self.pk}

    @property
    def download_name(self) -> str:
        """The original's name to save it under: the uploaded file name, else one made from the
        id and the stored file's extension."""
        if self.original_filename:
            return self.original_filename
        stored = self.original.name or ""
        extension = stored.rsplit(".", 1)[-1] if "." in stored else "jpg"
        return f"photo-{self.pk}.{extension}"

    @property
    def file_names(self) -> list[str]:
        """Every stored file of this photo (original, display, thumbnail)."""
        return [f.name for f in (self.original, self.display, self.thumbnail) if f and f.name]


class AlbumQuerySet(models.QuerySet["Album"]):
    def with_photo_count(self) -> AlbumQuerySet:
        return self.annotate(photo_count=models.Count("photos", distinct=True))


class Album(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=120)
    photos = models.ManyToManyField(Photo, related_name="albums", blank=True, verbose_name=_("photos"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AlbumQuerySet.as_manager()

    class Meta:
        verbose_name = _("album")
        verbose_name_plural = _("albums")
        ordering = ("name", "id")
        indexes = (models.Index(fields=("owner", "name"), name="album_owner_name"),)

    def __str__(self) -> str:
        return self.name


class PendingDeletion(models.Model):
    """A stored file that no row refers to any more and that must leave the storage.

    Written in the same transaction that deletes the photo, removed once the storage has
    deleted the file; if the storage was down, `sweep_storage` (and, with a broker, a periodic
    Celery task) tries again, so a file is never left behind for good.
    """

    name = models.CharField(max_length=255, unique=True, help_text="The file's name in the storage.")
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("file waiting for deletion")
        verbose_name_plural = _("files waiting for deletion")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.name
