"""Persons: a user's faces grouped under names. Models hold data and queries only; writes go
through `people.services`.

A face's person lives on the face (`recognition.Face.person`) with how it got there
(`person_source`): the machine (`auto`), the user accepting or naming (`confirmed`), or the user
moving it (`manual`). The machine never changes a confirmed or manual face. "Not this person" is a
`FaceRejection` row, kept for good and carried to the new face when a photo is re-indexed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    pass

NAME_MAX = 100


class PersonQuerySet(models.QuerySet["Person"]):
    def live(self) -> PersonQuerySet:
        """Persons not absorbed by a merge (merged ones are kept so that the merge can be undone)."""
        return self.filter(merged_into__isnull=True)


class Person(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="persons")
    name = models.CharField(_("name"), max_length=NAME_MAX, blank=True)
    hidden = models.BooleanField(_("hidden"), default=False)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    cover_face = models.ForeignKey(
        "recognition.Face", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cover_pinned = models.BooleanField(default=False, help_text="The user chose the cover face.")
    merged_into = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="merged_persons"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = (models.Index(fields=("owner", "merged_into", "name"), name="person_owner_live_name"),)

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or str(_("Unnamed person"))


class FaceRejection(models.Model):
    """The user said this face is not this person: the machine never puts it there again."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    face = models.ForeignKey("recognition.Face", on_delete=models.CASCADE, related_name="rejections")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="rejections")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("rejected face")
        verbose_name_plural = _("rejected faces")
        constraints = (models.UniqueConstraint(fields=("face", "person"), name="face_rejection_unique"),)

    def __str__(self) -> str:
        return f"face {self.face_id} is not person {self.person_id}"


class PersonMerge(models.Model):
    """One merge of `source` into `target`, so that the user's latest merges can be undone."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    target_name_before = models.CharField(max_length=NAME_MAX, blank=True)
    target_birth_date_before = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("merge of people")
        verbose_name_plural = _("merges of people")
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=("owner", "undone_at", "-id"), name="person_merge_owner_open"),)

    def __str__(self) -> str:
        return f"person {self.source_id} into {self.target_id}"


class PersonMergeFace(models.Model):
    """A face a merge moved, which goes back to the source person on undo (carried over to the new
    face on re-indexing)."""

    merge = models.ForeignKey(PersonMerge, on_delete=models.CASCADE, related_name="faces")
    face = models.ForeignKey("recognition.Face", on_delete=models.CASCADE, related_name="+")
    # How the face was in the source person (a merge confirms the faces it moves).
    previous_source = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("face of a merge")
        verbose_name_plural = _("faces of merges")
        constraints = (models.UniqueConstraint(fields=("merge", "face"), name="person_merge_face_unique"),)

    def __str__(self) -> str:
        return f"merge {self.merge_id}: face {self.face_id}"


class PeopleState(models.Model):
    """Per-user bookkeeping of the background grouping job (debouncing, last run)."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The user changed who is who (named, merged, moved, confirmed): unassigned faces are tried
    # against the persons again at the next grouping run.
    persons_changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"people of {self.owner_id}"
