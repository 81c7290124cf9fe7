from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FaceQuerySet(models.QuerySet["Face"]):
    def for_owner(self, owner_id: int) -> FaceQuerySet:
        return self.filter(owner_id=owner_id)

    def for_model(self, model_key: str) -> FaceQuerySet:
        return self.filter(model_key=model_key)


class Face(models.Model):
    """One detected face of a photo, with the embedding of one model.

    Boxes and landmarks are in pixels of the upright (EXIF-rotated) original image. The embedding
    is an L2-normalised float32 vector packed little-endian; `model_key` names the embedder and
    weights that made it, so embeddings of different models are never compared.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="faces")
    photo = models.ForeignKey("gallery.Photo", on_delete=models.CASCADE, related_name="faces")
    model_key = models.CharField(max_length=200)
    x1 = models.FloatField()
    y1 = models.FloatField()
    x2 = models.FloatField()
    y2 = models.FloatField()
    landmarks = models.JSONField(default=list, help_text="Five [x, y] points: eyes, nose, mouth corners.")
    score = models.FloatField(help_text="Detection probability.")
    dim = models.PositiveSmallIntegerField()
    embedding = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class PersonSource(models.TextChoices):
        NONE = "", _("Unassigned")
        AUTO = "auto", _("Grouped automatically")
        CONFIRMED = "confirmed", _("Confirmed")
        MANUAL = "manual", _("Moved by you")

    # People (see people.models): which person this face shows, how it got there and when.
    person = models.ForeignKey(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="faces"
    )
    person_source = models.CharField(max_length=16, choices=PersonSource.choices, blank=True, default="")
    person_at = models.DateTimeField(null=True, blank=True)
    # The machine's best guess for an unassigned face (the review queue), or its similarity to
    # `person` for an automatic assignment.
    suggested_person = models.ForeignKey(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    similarity = models.FloatField(null=True, blank=True)
    # When the machine last tried this face against the persons (None: never, or to be tried again).
    grouped_at = models.DateTimeField(null=True, blank=True)

    objects = FaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("face")
        verbose_name_plural = _("faces")
        ordering = ("photo_id", "-score")
        indexes = [
            models.Index(fields=["owner", "model_key", "id"], name="face_owner_model_idx"),
            models.Index(fields=["photo", "model_key"], name="face_photo_model_idx"),
            models.Index(fields=["owner", "model_key", "person"], name="face_owner_model_person_idx"),
        ]

    def __str__(self) -> str:
        return f"Face {self.pk} of photo {self.photo_id} ({self.model_key})"

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x1, self.y1, self.x2, self.y2)

    def vector(self) -> npt.NDArray[np.float32]:
        return np.frombuffer(bytes(self.embedding), dtype="<f4").astype(np.float32).reshape(self.dim)


class FaceIndexVersion(models.Model):
    """A per-(owner, model) change counter that lets every process keep its in-memory index fresh.

    `version` moves on every change of that owner's faces for that model, `deletions` only when
    faces are removed or replaced. A process's snapshot takes the rows added since it was made
    (face ids only grow, and writers hold this row's lock while inserting) and drops the faces
    that the `FaceDeletion` rows of the deletions since name; when those rows have been pruned
    (`pruned_deletions` is past the snapshot's), it loads the owner's faces again.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    model_key = models.CharField(max_length=200)
    version = models.BigIntegerField(default=0)
    deletions = models.BigIntegerField(default=0)
    pruned_deletions = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("face index version")
        verbose_name_plural = _("face index versions")
        constraints = [
            models.UniqueConstraint(fields=["owner", "model_key"], name="face_index_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}/{self.model_key}: v{self.version} d{self.deletions}"


class FaceDeletion(models.Model):
    """A face removed from an owner's index for a model, at deletion number `seq` of its
    FaceIndexVersion: the log from which other processes drop it from their snapshots."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    model_key = models.CharField(max_length=200)
    seq = models.BigIntegerField()
    face_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["owner", "model_key", "seq"], name="face_deletion_seq")]

    def __str__(self) -> str:
        return f"{self.owner_id}/{self.model_key}: #{self.seq} face {self.face_id}"


def _search_query_cutoff() -> datetime:
    """Queries made before this have expired (SEARCH_QUERY_TTL_HOURS)."""
    return timezone.now() - timedelta(hours=settings.SEARCH_QUERY_TTL_HOURS)


class SearchQueryQuerySet(models.QuerySet["SearchQuery"]):
    def live(self) -> SearchQueryQuerySet:
        return self.filter(created_at__gte=_search_query_cutoff())

    def expired(self) -> SearchQueryQuerySet:
        return self.filter(created_at__lt=_search_query_cutoff())


class SearchQuery(models.Model):
    """A query photo kept for a short while (SEARCH_QUERY_TTL_HOURS) so that its results survive
    Back and reload and another of its faces can be searched without sending the photo again.

    Only what search needs is kept: a small JPEG preview of the upright photo (so HEIC and TIFF
    queries show in any browser), the faces found (boxes in upright original pixels) and their
    embeddings. The original bytes are never stored. The id is random and unguessable, and a
    query is only ever read through its owner (recognition.selectors.search_query_get_for_user).
    """

    id = models.CharField(primary_key=True, max_length=32, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="search_queries"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    model_key = models.CharField(max_length=200)
    width = models.PositiveIntegerField(help_text="Upright original width in pixels.")
    height = models.PositiveIntegerField(help_text="Upright original height in pixels.")
    preview = models.BinaryField(help_text="JPEG, at most SEARCH_QUERY_PREVIEW_SIZE pixels a side.")
    faces = models.JSONField(default=list, help_text="[{box: [x1, y1, x2, y2], score}] per face found.")
    dim = models.PositiveSmallIntegerField()
    embeddings = models.BinaryField(help_text="One little-endian float32 vector per face, in order.")

    objects = SearchQueryQuerySet.as_manager()

    # Ids are URL-safe base64 of 16 random bytes (new_id); anything else is no query at all.
    ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")

    class Meta:
        verbose_name = _("search query photo")
        verbose_name_plural = _("search query photos")
        indexes = [models.Index(fields=["owner", "created_at"], name="searchquery_owner_created_idx")]

    def __str__(self) -> str:
        return f"Search query {self.pk} of user {self.owner_id}"

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(16)

    @property
    def expires_at(self) -> datetime:
        return self.created_at + timedelta(hours=settings.SEARCH_QUERY_TTL_HOURS)

    def vectors(self) -> npt.NDArray[np.float32]:
        flat = np.frombuffer(bytes(self.embeddings), dtype="<f4").astype(np.float32)
        return flat.reshape(len(self.faces), self.dim)
