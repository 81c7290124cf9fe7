"""Owner-scoped reads of persons and their faces. Pages, the API and the admin go through these,
so a user can never see or learn of another user's persons.

Counts and face lists consider the faces of the active model only (`active_model_key()`): those are
the faces search and grouping work with; faces of an older model keep their persons until the
library is re-indexed, but are not shown twice.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from gallery.models import Photo
from gallery.selectors import AnyUser, photo_list_for_user
from memory_studio.ids import db_id
from people.models import Person, PersonMerge
from recognition.models import Face


def person_kept_after_merge(*, user: AnyUser, person_id: Any) -> int | None:
    """The id of the live person a merged person of the user's went into (following later merges),
    or None (not merged, not theirs, malformed)."""
    pk = db_id(person_id)
    seen: set[int] = set()
    while pk is not None and pk not in seen:
        seen.add(pk)
        row = Person.objects.filter(owner_id=user.pk, pk=pk).values_list("merged_into_id", flat=True).first()
        if row is None:
            return pk if len(seen) > 1 else None
        pk = row
    return None


def person_namesake(*, person: Person) -> Person | None:
    """Another live person of the same owner with the same name (any case), if any."""
    if not person.name:
        return None
    return (
        Person.objects.filter(owner_id=person.owner_id, merged_into__isnull=True, name__iexact=person.name)
        .exclude(pk=person.pk)
        .order_by("id")
        .first()
    )


def person_list_for_user(
    *,
    user: AnyUser,
    model_key: str,
    hidden: bool | None = False,
    named: bool | None = None,
    q: str = "",
    by_name: bool = False,
) -> QuerySet[Person]:
    """The user's persons (not merged away) with `face_count` and `photo_count` of `model_key`'s
    faces, largest first (or by name). `hidden=None` lists hidden and visible persons alike; an
    unnamed person without faces of this model is left out."""
    if not user.is_authenticated:
        return Person.objects.none()
    # Faces on photos in the trash count for nothing until the photo is restored.
    faces = Q(faces__model_key=model_key, faces__photo__trashed_at__isnull=True)
    persons = (
        Person.objects.filter(owner_id=user.pk, merged_into__isnull=True)
        .select_related("cover_face")
        .annotate(
            face_count=Count("faces", filter=faces, distinct=True),
            photo_count=Count("faces__photo", filter=faces, distinct=True),
        )
    )
    if hidden is not None:
        persons = persons.filter(hidden=hidden)
    if named is True:
        persons = persons.exclude(name="")
    elif named is False:
        persons = persons.filter(name="")
    if q.strip():
        persons = persons.filter(name__icontains=q.strip())
    persons = persons.filter(Q(face_count__gt=0) | ~Q(name=""))
    return (
        persons.order_by("name", "-face_count", "id")
        if by_name
        else persons.order_by("-face_count", "name", "id")
    )


def person_get_for_user(*, user: AnyUser, person_id: Any, model_key: str) -> Person:
    """The user's live person with this id (counts annotated); Http404 for missing, merged,
    malformed or other users' ids."""
    pk = db_id(person_id)
    person = (
        person_list_for_user(user=user, model_key=model_key, hidden=None).filter(pk=pk).first()
        if pk is not None
        else None
    )
    if person is None:
        raise Http404(_("No such person."))
    return person


def persons_by_ids_for_user(*, user: AnyUser, person_ids: list[Any]) -> list[Person]:
    """All the given live persons of the user, in the given order, or Http404 if any is missing."""
    parsed = [db_id(value) for value in person_ids]
    ids = [pk for pk in parsed if pk is not None]
    if not user.is_authenticated or len(ids) != len(parsed):
        raise Http404(_("No such person."))
    found = {p.pk: p for p in Person.objects.filter(owner_id=user.pk, merged_into__isnull=True, pk__in=ids)}
    if len(found) != len(set(ids)):
        raise Http404(_("No such person."))
    return [found[pk] for pk in ids]


def person_faces(*, person: Person, model_key: str) -> QuerySet[Face]:
    """A person's faces of the active model, newest photo first (owner checked by the caller)."""
    return (
        Face.objects.filter(
            person=person, owner_id=person.owner_id, model_key=model_key, photo__trashed_at__isnull=True
        )
        .select_related("photo", "person", "suggested_person")
        .order_by("-photo__taken_at", "-photo_id", "id")
    )


def person_photos(*, person: Person, model_key: str) -> QuerySet[Photo]:
    """Photos showing a person, newest taken first."""
    shows = Face.objects.filter(photo=OuterRef("pk"), person=person, model_key=model_key)
    photos = Photo.objects.filter(owner_id=person.owner_id).live()
    return photos.filter(Exists(shows)).order_by("-taken_at", "-id")


def photos_with_persons(
    *, user: AnyUser, persons: list[Person], model_key: str, photos: QuerySet[Photo] | None = None
) -> QuerySet[Photo]:
    """The user's photos (or those of `photos`, already the user's) in which all `persons` appear."""
    photos = photo_list_for_user(user=user) if photos is None else photos
    for person in persons:
        photos = photos.filter(
            Exists(Face.objects.filter(photo=OuterRef("pk"), person=person, model_key=model_key))
        )
    return photos


def photos_with_persons_for_user(
    *, user: AnyUser, person_ids: list[Any], photos: QuerySet[Photo] | None = None
) -> QuerySet[Photo]:
    """The user's photos (or those of `photos`, already the user's) showing all the given persons
    (ids from the request; Http404 if any is not the user's)."""
    from recognition.runtime import active_model_key

    persons = persons_by_ids_for_user(user=user, person_ids=person_ids)
    return photos_with_persons(user=user, persons=persons, model_key=active_model_key(), photos=photos)


def face_list_for_user(
    *,
    user: AnyUser,
    model_key: str,
    person: Person | None = None,
    unassigned: bool = False,
    suggested: bool = False,
) -> QuerySet[Face]:
    """The user's faces of the active model: of one person, or unassigned ones; `suggested`
    keeps only faces with a suggested person and sorts them by similarity, most similar first."""
    if not user.is_authenticated:
        return Face.objects.none()
    faces = Face.objects.filter(
        owner_id=user.pk, model_key=model_key, photo__trashed_at__isnull=True
    ).select_related("photo", "person", "suggested_person")
    if person is not None:
        faces = faces.filter(person=person)
    elif unassigned:
        faces = faces.filter(person__isnull=True)
    if suggested:
        faces = faces.filter(suggested_person__isnull=False, suggested_person__merged_into__isnull=True)
        return faces.order_by("-similarity", "id")
    return faces.order_by("-photo__taken_at", "-photo_id", "id")


def faces_for_user_by_ids(*, user: AnyUser, face_ids: list[Any]) -> list[Face]:
    """All the given faces of the user (any model), or Http404 if any is missing or someone else's."""
    parsed = {db_id(value) for value in face_ids}
    ids = {pk for pk in parsed if pk is not None}
    if not user.is_authenticated or not ids or len(ids) != len(parsed):
        raise Http404(_("No such face."))
    faces = list(
        Face.objects.filter(owner_id=user.pk, pk__in=ids).select_related(
            "photo", "person", "suggested_person"
        )
    )
    if len(faces) != len(ids):
        raise Http404(_("No such face."))
    return faces


def last_open_merge(*, user: AnyUser) -> PersonMerge | None:
    """The user's latest merge that has not been undone."""
    if not user.is_authenticated:
        return None
    return (
        PersonMerge.objects.filter(owner_id=user.pk, undone_at__isnull=True)
        .select_related("source", "target")
        .order_by("-created_at", "-id")
        .first()
    )


def photo_face_persons(*, photo: Photo, model_key: str) -> list[Face]:
    """A photo's faces of the active model with their persons (the photo is already owner-checked)."""
    return list(
        Face.objects.filter(photo=photo, owner_id=photo.owner_id, model_key=model_key)
        .select_related("person", "suggested_person")
        .order_by("x1", "y1")
    )
