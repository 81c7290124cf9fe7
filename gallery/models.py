"""Photos and albums. Models hold data and queries only: writes go through gallery.services."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import models
from django.db.models.functions import Coalesce
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

    def trashed_before(self, moment: datetime) -> PhotoQuerySet:
        """Photos moved to the trash before `moment` (those due to be deleted for good)."""
        return self.filter(trashed_at__lt=moment)


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
    stored_size = models.PositiveBigIntegerField(
        default=0,
        help_text="Bytes this photo takes in storage: the original, display and thumbnail files.",
    )
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
            models.Index(fields=("owner", "-uploaded_at"), name="photo_owner_uploaded"),
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
    def purge_at(self) -> datetime | None:
        """When a trashed photo will be deleted for good (None outside the trash)."""
        if self.trashed_at is None:
            return None
        return self.trashed_at + timedelta(days=settings.TRASH_DAYS)

    @property
    def days_left_in_trash(self) -> int | None:
        """Whole days (rounded up, at least 0) until a trashed photo is deleted for good."""
        purge_at = self.purge_at
        if purge_at is None:
            return None
        seconds = (purge_at - timezone.now()).total_seconds()
        return max(0, -int(-seconds // 86400))

    @property
    def file_names(self) -> list[str]:
        """Every stored file of this photo (original, display, thumbnail)."""
        return [f.name for f in (self.original, self.display, self.thumbnail) if f and f.name]


class AlbumQuerySet(models.QuerySet["Album"]):
    def with_summary(self) -> AlbumQuerySet:
        """Annotate what the album list shows, in the same query: `photo_count`, `taken_from`,
        `taken_until` (over the photos outside the trash) and `cover_photo_id` (the picked cover
        while it is in the album and outside the trash, else the first photo by the album's
        sort)."""
        live = models.Q(photos__trashed_at__isnull=True)
        members = AlbumPhoto.objects.filter(album=models.OuterRef("pk"), photo__trashed_at__isnull=True)
        first = {
            order: members.order_by(*AlbumPhoto.ordering_for(order)).values("photo_id")[:1]
            for order in Album.SortOrder.values
        }
        picked = members.filter(photo_id=models.OuterRef("cover_id")).values("photo_id")[:1]
        default_cover = models.Case(
            *(models.When(sort_order=order, then=models.Subquery(query)) for order, query in first.items()),
            output_field=models.BigIntegerField(),
        )
        return self.annotate(
            photo_count=models.Count("photos", filter=live, distinct=True),
            taken_from=models.Min("photos__taken_at", filter=live),
            taken_until=models.Max("photos__taken_at", filter=live),
            cover_photo_id=Coalesce(
                models.Subquery(picked), default_cover, output_field=models.BigIntegerField()
            ),
        )


class Album(models.Model):
    class SortOrder(models.TextChoices):
        MANUAL = "manual", _("Custom order")
        NEWEST = "newest", _("Newest first")
        OLDEST = "oldest", _("Oldest first")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=120)
    photos = models.ManyToManyField(
        Photo, through="AlbumPhoto", related_name="albums", blank=True, verbose_name=_("photos")
    )
    cover = models.ForeignKey(
        Photo,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cover photo"),
        help_text="Picked by the owner; none (or one no longer in the album) means the first photo.",
    )
    sort_order = models.CharField(
        _("sort order"), max_length=8, choices=SortOrder.choices, default=SortOrder.MANUAL
    )
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


class AlbumPhoto(models.Model):
    """A photo in an album, at a place in the album's custom order (`position`, from 0)."""

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="memberships")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="album_memberships")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        # The table of the ManyToManyField this model replaced: its rows are kept.
        db_table = "gallery_album_photos"
        unique_together = (("album", "photo"),)
        indexes = (models.Index(fields=("album", "position"), name="album_photo_position"),)

    def __str__(self) -> str:
        return f"{self.album_id}:{self.photo_id}@{self.position}"

    @staticmethod
    def ordering_for(sort_order: str) -> tuple[str, ...]:
        """The order_by() of an album's memberships for one of Album.SortOrder; each ends on a
        unique key, so the order is stable for photos taken at the same moment."""
        if sort_order == Album.SortOrder.NEWEST:
            return ("-photo__taken_at", "-photo_id")
        if sort_order == Album.SortOrder.OLDEST:
            return ("photo__taken_at", "photo_id")
        return ("position", "id")


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


# ----------------------------------------------------------------------------------------------
# Album share links (issue 10): read-only links to one album for people without an account.
# ----------------------------------------------------------------------------------------------


class AlbumShareQuerySet(models.QuerySet["AlbumShare"]):
    def active(self, *, now: datetime | None = None) -> AlbumShareQuerySet:
        """Links that open their album: not revoked, not expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class AlbumShare(models.Model):
    """A read-only link to one album.

    Only the SHA-256 of the link's token is stored, like API tokens on GitHub or Immich: a copy
    of the database (a backup, a leak) does not open anyone's albums. The owner therefore sees
    the full link once, right after creating it; a lost link is revoked and replaced.
    """

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="shares", verbose_name=_("album"))
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the link's token, hex.")
    label = models.CharField(_("label"), max_length=100, blank=True)
    password_hash = models.CharField(
        max_length=128, blank=True, help_text="Django password hash; empty: none."
    )
    allow_download = models.BooleanField(_("allow download"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    last_viewed_at = models.DateTimeField(_("last viewed at"), null=True, blank=True)

    objects = AlbumShareQuerySet.as_manager()

    class Meta:
        verbose_name = _("album share link")
        verbose_name_plural = _("album share links")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.label or gettext("Share link %(id)s") % {"id": self.pk}

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def password_matches(self, password: str) -> bool:
        return bool(self.password_hash) and check_password(password, self.password_hash)

    def state(self, *, now: datetime | None = None) -> AlbumShare.State:
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at is not None and self.expires_at <= (now or timezone.now()):
            return self.State.EXPIRED
        return self.State.ACTIVE
