"""Writes of People: what the user decides (name, merge, move, reject, confirm) and what the machine
proposes (`people_refresh`: assignment of new faces and clustering of the rest).

Every write takes the owner's `PeopleState` row lock first, so a user's action and a background
grouping run of the same owner never interleave; the grouping run computes outside the lock and
re-checks, under the lock, that the faces it writes are still the machine's to change.

The rules users rely on:
- the machine never changes a face whose `person_source` is `confirmed` or `manual`;
- a face the user removed from a person (`FaceRejection`) never goes back to it by the machine;
- two faces of one photo are never put in the same person by the machine;
- re-indexing a photo (same or another model) carries every decision over to the new faces.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from people.models import NAME_MAX, FaceRejection, PeopleState, Person, PersonMerge, PersonMergeFace
from recognition.ml.people import (
    CandidateFaces,
    LabelledFaces,
    PeopleParams,
    PersonIndex,
    cluster_faces,
    default_params,
)
from recognition.models import Face

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

AUTO = Face.PersonSource.AUTO
CONFIRMED = Face.PersonSource.CONFIRMED
MANUAL = Face.PersonSource.MANUAL
USER_SOURCES = (CONFIRMED.value, MANUAL.value)
MACHINE_SOURCES = ("", AUTO.value)
CARRY_OVER_IOU = 0.5


class PeopleError(Exception):
    """A request about persons that cannot be done; the message is meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NothingToUndo(PeopleError):  # noqa: N818 (reads as a state)
    pass


_T = TypeVar("_T")


class _Unset:
    pass


UNSET: Any = _Unset()


# --- locking and small helpers -------------------------------------------------------------------


def _user_decided(owner_id: int) -> PeopleState:
    """Lock the owner's People row for a decision of the user: the next grouping run (asked for
    once this transaction commits) tries the unassigned faces against the persons again."""
    state = _lock_owner(owner_id)
    state.persons_changed_at = timezone.now()
    state.save(update_fields=["persons_changed_at"])

    def ask() -> None:
        from people.tasks import people_request_refresh

        people_request_refresh(owner_id=owner_id)

    transaction.on_commit(ask)
    return state


def _lock_owner(owner_id: int) -> PeopleState:
    """Lock the owner's People row for the rest of the transaction (created on first use)."""
    if not PeopleState.objects.filter(owner_id=owner_id).exists():
        try:
            with transaction.atomic():
                PeopleState.objects.create(owner_id=owner_id)
        except IntegrityError:
            pass  # created by a concurrent writer
    return PeopleState.objects.select_for_update().get(owner_id=owner_id)


def lock_owner_faces(*, owner_id: int) -> None:
    """Serialise every write of one owner's faces (indexing, deletion, People) for the transaction.

    Always taken first, before a photo's or the face index's lock, so that writers never deadlock."""
    _lock_owner(owner_id)


def clean_name(name: str) -> str:
    return " ".join(name.split())[:NAME_MAX]


def _roots(owner_id: int) -> dict[int, int]:
    """Every person id of the owner (merged ones too) mapped to the live person it now belongs to."""
    parent = dict(Person.objects.filter(owner_id=owner_id).values_list("id", "merged_into_id"))
    roots: dict[int, int] = {}
    for pk in parent:
        seen = [pk]
        current = pk
        while parent.get(current) is not None:
            current = int(parent[current])
            if current in seen:  # a cycle cannot be made through the services; be safe anyway
                break
            seen.append(current)
        for node in seen:
            roots[node] = current
    return roots


def _check_same_owner(owner_id: int, faces: Iterable[Face], persons: Iterable[Person | None] = ()) -> None:
    # Callers resolve ids through owner-scoped selectors; this is the last line of defence.
    if any(f.owner_id != owner_id for f in faces) or any(
        p is not None and p.owner_id != owner_id for p in persons
    ):
        raise PeopleError(_("Faces and persons must belong to the same user."))


def _touch(persons: Iterable[Person | int | None]) -> None:
    ids = {p.pk if isinstance(p, Person) else p for p in persons if p is not None}
    if ids:
        Person.objects.filter(pk__in=ids).update(updated_at=timezone.now())


def _assign_by_user(faces: Sequence[Face], person: Person | None, *, source: str) -> set[int]:
    """Put `faces` in `person` (None: take them out) as the user's decision; a face taken from
    another person is remembered as not being that person. Returns the persons that lost faces."""
    now = timezone.now()
    losers: set[int] = set()
    rejections: list[FaceRejection] = []
    for face in faces:
        if face.person_id is not None and (person is None or face.person_id != person.pk):
            losers.add(face.person_id)
            rejections.append(FaceRejection(owner_id=face.owner_id, face=face, person_id=face.person_id))
    if rejections:
        FaceRejection.objects.bulk_create(rejections, ignore_conflicts=True)
    face_ids = [f.pk for f in faces]
    if person is not None:
        # The user overrides an earlier "not this person" for these faces.
        FaceRejection.objects.filter(face_id__in=face_ids, person=person).delete()
        Face.objects.filter(pk__in=face_ids).update(
            person=person, person_source=source, person_at=now, suggested_person=None, similarity=None
        )
    else:
        Face.objects.filter(pk__in=face_ids).update(
            person=None, person_source="", person_at=now, suggested_person=None, similarity=None
        )
    return losers


def _chunks(values: Sequence[int], size: int = 500) -> Iterable[list[int]]:
    # Bounded IN lists: SQLite refuses statements with more than 32,766 parameters.
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _cover_quality(
    source: str, score: float, box: tuple[float, float, float, float], marks: Any
) -> tuple[bool, float]:
    """The user's decisions first, then a large, sure, frontal face."""
    x1, y1, x2, y2 = box
    side = min(x2 - x1, y2 - y1)
    frontal = 1.0
    try:
        (lx, _), (rx, _), (nx, _) = marks[0], marks[1], marks[2]
        eyes = abs(rx - lx)
        if eyes > 0:
            frontal = max(0.0, 1.0 - 2.0 * abs(nx - (lx + rx) / 2) / eyes)
    except (TypeError, ValueError, IndexError):
        pass
    return (source in USER_SOURCES, float(score) * min(side, 300.0) * (0.5 + 0.5 * frontal))


def _refresh_covers(person_ids: Iterable[int | None]) -> None:
    """Give each person a cover face: the pinned one while it still shows them on a photo outside
    the trash, else their best face on such a photo (see `_cover_quality`), else none. A few
    queries for any number of persons."""
    ids = sorted({pk for pk in person_ids if pk is not None})
    if not ids:
        return
    persons = {
        pk: (cover, pinned)
        for chunk in _chunks(ids)
        for pk, cover, pinned in Person.objects.filter(pk__in=chunk).values_list(
            "id", "cover_face_id", "cover_pinned"
        )
    }
    pinned_covers = [cover for cover, pinned in persons.values() if pinned and cover is not None]
    cover_owner = {
        face_id: person_id
        for chunk in _chunks(pinned_covers)
        for face_id, person_id in Face.objects.filter(
            pk__in=chunk, photo__trashed_at__isnull=True
        ).values_list("id", "person_id")
    }
    need = [
        pk
        for pk, (cover, pinned) in persons.items()
        if not (pinned and cover is not None and cover_owner.get(cover) == pk)
    ]
    best: dict[int, tuple[tuple[bool, float], int]] = {}
    for chunk in _chunks(need):
        rows = Face.objects.filter(person_id__in=chunk, photo__trashed_at__isnull=True).values_list(
            "person_id", "id", "person_source", "score", "x1", "y1", "x2", "y2", "landmarks"
        )
        for person_id, face_id, source, score, x1, y1, x2, y2, marks in rows.iterator(chunk_size=2000):
            quality = _cover_quality(source, score, (x1, y1, x2, y2), marks)
            if person_id not in best or (quality, -face_id) > (best[person_id][0], -best[person_id][1]):
                best[person_id] = (quality, face_id)
    changed = []
    for pk in need:
        cover, pinned = persons[pk]
        chosen = best[pk][1] if pk in best else None
        if chosen != cover or pinned:
            changed.append(Person(pk=pk, cover_face_id=chosen, cover_pinned=False))
    Person.objects.bulk_update(changed, ["cover_face", "cover_pinned"], batch_size=500)


def persons_refresh_covers(*, person_ids: Iterable[int]) -> None:
    """After faces were deleted (a photo deleted): new covers where the old ones went."""
    _refresh_covers(person_ids)


# --- the user's decisions ------------------------------------------------------------------------


@transaction.atomic
def person_create(*, owner: User, faces: Sequence[Face], name: str = "") -> Person:
    """A new person made of the chosen faces (the user's decision: `manual`)."""
    if not faces:
        raise PeopleError(_("Choose at least one face."))
    _user_decided(owner.pk)
    _check_same_owner(owner.pk, faces)
    person = Person.objects.create(owner=owner, name=clean_name(name))
    losers = _assign_by_user(faces, person, source=MANUAL)
    _touch(losers)
    _refresh_covers({person.pk, *losers})
    person.refresh_from_db()
    return person


@transaction.atomic
def person_update(
    *,
    person: Person,
    name: str | _Unset = UNSET,
    hidden: bool | _Unset = UNSET,
    birth_date: date | _Unset | None = UNSET,
    cover_face: Face | _Unset | None = UNSET,
) -> Person:
    """Rename, hide or show, set the birth date, pin a cover face (None: automatic again).

    Naming a person for the first time confirms the faces the machine grouped there."""
    if isinstance(name, _Unset):
        _lock_owner(person.owner_id)
    else:
        _user_decided(person.owner_id)
    person = Person.objects.select_for_update().get(pk=person.pk)
    fields = ["updated_at"]
    if not isinstance(name, _Unset):
        cleaned = clean_name(name)
        if cleaned and not person.name:
            Face.objects.filter(person=person, person_source=AUTO).update(
                person_source=CONFIRMED, person_at=timezone.now()
            )
        person.name = cleaned
        fields.append("name")
    if not isinstance(hidden, _Unset):
        person.hidden = bool(hidden)
        fields.append("hidden")
    if not isinstance(birth_date, _Unset):
        if birth_date is not None and birth_date > timezone.localdate():
            raise PeopleError(_("The birth date cannot be in the future."))
        person.birth_date = birth_date
        fields.append("birth_date")
    if not isinstance(cover_face, _Unset):
        if cover_face is not None and not Face.objects.filter(pk=cover_face.pk, person=person).exists():
            raise PeopleError(_("The cover must be one of this person's faces."))
        person.cover_face = cover_face
        person.cover_pinned = cover_face is not None
        fields += ["cover_face", "cover_pinned"]
    person.updated_at = timezone.now()
    person.save(update_fields=fields)
    if not isinstance(cover_face, _Unset) and cover_face is None:
        _refresh_covers([person.pk])
        person.refresh_from_db()
    return person


@transaction.atomic
def person_merge(*, source: Person, target: Person) -> Person:
    """Merge `source` into `target` (kept): its faces move there, confirmed (the user says they are
    one person). The kept person takes the source's name and birth date where it has none.
    Recorded, so that `person_merge_undo` can put everything back."""
    if source.pk == target.pk:
        raise PeopleError(_("A person cannot be merged into itself."))
    if source.owner_id != target.owner_id:
        raise PeopleError(_("Faces and persons must belong to the same user."))
    _user_decided(source.owner_id)
    source = Person.objects.select_for_update().get(pk=source.pk)
    target = Person.objects.select_for_update().get(pk=target.pk)
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise PeopleError(_("This person was already merged into another."))
    merge = PersonMerge.objects.create(
        owner_id=source.owner_id,
        source=source,
        target=target,
        target_name_before=target.name,
        target_birth_date_before=target.birth_date,
    )
    moved = list(Face.objects.filter(person=source).values_list("id", "person_source"))
    PersonMergeFace.objects.bulk_create(
        [PersonMergeFace(merge=merge, face_id=pk, previous_source=was) for pk, was in moved]
    )
    # The user says they are one person: the moved faces are confirmed members of it.
    Face.objects.filter(pk__in=[pk for pk, _ in moved]).update(
        person=target, person_source=CONFIRMED, person_at=timezone.now()
    )
    Face.objects.filter(suggested_person=source).update(suggested_person=target)
    fields = ["updated_at"]
    if not target.name and source.name:
        target.name = source.name
        fields.append("name")
    if target.birth_date is None and source.birth_date is not None:
        target.birth_date = source.birth_date
        fields.append("birth_date")
    target.updated_at = timezone.now()
    target.save(update_fields=fields)
    source.merged_into = target
    source.updated_at = timezone.now()
    source.save(update_fields=["merged_into", "updated_at"])
    _refresh_covers([target.pk])
    target.refresh_from_db()
    return target


@transaction.atomic
def person_merge_undo(*, owner: User) -> PersonMerge:
    """Undo the owner's latest merge that is not undone yet: the source person comes back with the
    faces the merge moved (those still in the kept person), and the kept person's name and birth date
    are as before. Raises NothingToUndo."""
    _user_decided(owner.pk)
    merge = (
        PersonMerge.objects.select_for_update()
        .filter(owner_id=owner.pk, undone_at__isnull=True)
        .select_related("source", "target")
        .order_by("-created_at", "-id")
        .first()
    )
    if merge is None:
        raise NothingToUndo(_("There is no merge to undo."))
    source, target = merge.source, merge.target
    by_source: dict[str, list[int]] = defaultdict(list)
    for face_id, was in PersonMergeFace.objects.filter(merge=merge).values_list("face_id", "previous_source"):
        by_source[was].append(face_id)
    for was, face_ids in by_source.items():
        Face.objects.filter(pk__in=face_ids, person=target).update(person=source, person_source=was)
    # What the merge gave the kept person goes back, unless the user changed it since.
    if target.name == source.name:
        target.name = merge.target_name_before
    if merge.target_birth_date_before is None and target.birth_date == source.birth_date:
        target.birth_date = None
    target.updated_at = timezone.now()
    target.save(update_fields=["name", "birth_date", "updated_at"])
    source.merged_into = None
    source.updated_at = timezone.now()
    source.save(update_fields=["merged_into", "updated_at"])
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    _refresh_covers([source.pk, target.pk])
    return merge


@transaction.atomic
def faces_move(*, owner: User, faces: Sequence[Face], person: Person | None) -> set[int]:
    """Move faces to `person` (the user's decision: `manual`), or take them out of their person
    (None), remembering that they are not the person they left. Returns the persons that lost faces."""
    _user_decided(owner.pk)
    _check_same_owner(owner.pk, faces, [person])
    if person is not None and person.merged_into_id is not None:
        raise PeopleError(_("This person was merged into another."))
    losers = _assign_by_user(faces, person, source=MANUAL)
    _touch({*losers, person.pk if person else None})
    _refresh_covers({*losers, person.pk if person else None})
    return losers


@transaction.atomic
def faces_reject(*, person: Person, faces: Sequence[Face]) -> int:
    """ "Not this person": the faces leave `person` (if there) and lose it as a suggestion, for good."""
    _user_decided(person.owner_id)
    _check_same_owner(person.owner_id, faces)
    FaceRejection.objects.bulk_create(
        [FaceRejection(owner_id=person.owner_id, face=face, person=person) for face in faces],
        ignore_conflicts=True,
    )
    ids = [f.pk for f in faces]
    now = timezone.now()
    removed = Face.objects.filter(pk__in=ids, person=person).update(
        person=None, person_source="", person_at=now, suggested_person=None, similarity=None
    )
    Face.objects.filter(pk__in=ids, suggested_person=person).update(suggested_person=None, similarity=None)
    _touch([person])
    _refresh_covers([person.pk])
    return removed


@transaction.atomic
def faces_confirm(*, person: Person, faces: Sequence[Face]) -> int:
    """The user says these faces are `person` (accepting suggestions, or confirming the machine's
    grouping): they become `confirmed` members."""
    _user_decided(person.owner_id)
    _check_same_owner(person.owner_id, faces, [person])
    if person.merged_into_id is not None:
        raise PeopleError(_("This person was merged into another."))
    losers = _assign_by_user(faces, person, source=CONFIRMED)
    _touch({*losers, person.pk})
    _refresh_covers({*losers, person.pk})
    return len(faces)


def _person_named(owner_id: int, name: str) -> Person | None:
    """The owner's live person with this name (case-insensitive), the oldest if several share it."""
    return (
        Person.objects.filter(owner_id=owner_id, merged_into__isnull=True, name__iexact=name)
        .order_by("id")
        .first()
    )


@transaction.atomic
def faces_name(*, owner: User, faces: Sequence[Face], name: str) -> Person:
    """Put faces in the person with this name, made for them if nobody has it yet. Faces already
    there are confirmed; the others are moved (the user's decision)."""
    cleaned = clean_name(name)
    if not cleaned:
        raise PeopleError(_("Type a name."))
    _user_decided(owner.pk)
    _check_same_owner(owner.pk, faces)
    person = _person_named(owner.pk, cleaned)
    if person is None:
        return person_create(owner=owner, faces=faces, name=cleaned)
    there = [f for f in faces if f.person_id == person.pk]
    others = [f for f in faces if f.person_id != person.pk]
    if there:
        faces_confirm(person=person, faces=there)
    if others:
        faces_move(owner=owner, faces=others, person=person)
    return person


@transaction.atomic
def face_set_name(*, owner: User, face: Face, name: str) -> Person | None:
    """Name one face (the photo page); a blank name takes the face out of its person (remembered
    as not them). A face the machine grouped into an unnamed person names that whole person, as
    in other photo managers: with a new name it is renamed (its faces confirmed), with the name of
    someone else it is merged into them (undo brings it back). Otherwise the face goes to the
    person of that name, made if needed."""
    cleaned = clean_name(name)
    if not cleaned:
        faces_move(owner=owner, faces=[face], person=None)
        return None
    group = (
        Person.objects.filter(owner_id=owner.pk, pk=face.person_id, merged_into__isnull=True).first()
        if face.person_id is not None
        else None
    )
    if group is not None and not group.name:
        named = _person_named(owner.pk, cleaned)
        if named is None:
            return person_update(person=group, name=cleaned)
        return person_merge(source=group, target=named)
    return faces_name(owner=owner, faces=[face], name=cleaned)


# --- re-indexing: carry the user's decisions over to the new faces --------------------------------


def _iou(a: Face, b: Face) -> float:
    ix = max(0.0, min(a.x2, b.x2) - max(a.x1, b.x1))
    iy = max(0.0, min(a.y2, b.y2) - max(a.y1, b.y1))
    inter = ix * iy
    union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter
    return inter / union if union > 0 else 0.0


def faces_carry_over(*, old: Sequence[Face], new: Sequence[Face]) -> None:
    """Called by indexing inside its transaction, before the replaced faces are deleted: each new
    face of a photo inherits from the old faces it overlaps (box IoU >= 0.5, any model) the person
    (the latest user decision wins; an automatic one is inherited as `auto` to be re-evaluated with
    the new embedding), every "not this person", its place in merges that can be undone, and covers.
    """
    if not old or not new:
        return
    old_ids = [f.pk for f in old]
    rejected: dict[int, set[int]] = defaultdict(set)
    for face_id, person_id in FaceRejection.objects.filter(face_id__in=old_ids).values_list(
        "face_id", "person_id"
    ):
        rejected[face_id].add(person_id)
    merged: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for face_id, merge_id, was in PersonMergeFace.objects.filter(face_id__in=old_ids).values_list(
        "face_id", "merge_id", "previous_source"
    ):
        merged[face_id].add((merge_id, was))
    covers: dict[int, list[int]] = defaultdict(list)
    for person_id, face_id in Person.objects.filter(cover_face_id__in=old_ids).values_list(
        "id", "cover_face_id"
    ):
        covers[int(face_id)].append(person_id)

    owner_id = new[0].owner_id
    changed: list[Face] = []
    new_rejections: list[FaceRejection] = []
    new_merge_faces: list[PersonMergeFace] = []
    for face in new:
        matches = [o for o in old if _iou(o, face) >= CARRY_OVER_IOU]
        if not matches:
            continue
        with_person = [o for o in matches if o.person_id is not None]
        decided = [o for o in with_person if o.person_source in USER_SOURCES]
        pool = decided or with_person
        if pool:
            epoch = timezone.now().replace(year=1970, month=1, day=1)
            source = max(pool, key=lambda o: (o.person_at or epoch, o.pk))
            face.person_id = source.person_id
            face.person_source = source.person_source if source.person_source in USER_SOURCES else AUTO
            face.person_at = source.person_at
            face.similarity = None  # automatic assignments are re-evaluated with the new embedding
            changed.append(face)
        for o in matches:
            new_rejections += [
                FaceRejection(owner_id=owner_id, face=face, person_id=p) for p in rejected.get(o.pk, ())
            ]
            new_merge_faces += [
                PersonMergeFace(merge_id=m, face=face, previous_source=was) for m, was in merged.get(o.pk, ())
            ]
            for person_id in covers.get(o.pk, ()):
                Person.objects.filter(pk=person_id, cover_face_id=o.pk).update(cover_face=face)
    if changed:
        Face.objects.bulk_update(changed, ["person", "person_source", "person_at", "similarity"])
    FaceRejection.objects.bulk_create(new_rejections, ignore_conflicts=True)
    PersonMergeFace.objects.bulk_create(new_merge_faces, ignore_conflicts=True)


# --- the machine: assignment and clustering -------------------------------------------------------


def people_params(model_key: str) -> PeopleParams:
    """The grouping thresholds for a model: measured defaults, overridden by PEOPLE_* settings."""
    from recognition.runtime import RecognitionUnavailableError, build_pipeline, current_pipeline

    pipeline = current_pipeline()
    threshold: float | None = None
    if pipeline is not None and pipeline.model_key == model_key:
        threshold = pipeline.embedder.threshold
    else:
        try:
            embedder = build_pipeline(model=None).embedder
            if embedder.key == model_key:
                threshold = embedder.threshold
        except RecognitionUnavailableError:
            threshold = None
    params = default_params(model_key, threshold=threshold if threshold is not None else 0.93)
    return dataclasses.replace(
        params,
        assign_similarity=_or(settings.PEOPLE_ASSIGN_SIMILARITY, params.assign_similarity),
        assign_margin=_or(settings.PEOPLE_ASSIGN_MARGIN, params.assign_margin),
        suggest_similarity=_or(settings.PEOPLE_SUGGEST_SIMILARITY, params.suggest_similarity),
        cluster_similarity=_or(settings.PEOPLE_CLUSTER_SIMILARITY, params.cluster_similarity),
        min_cluster_size=_or(settings.PEOPLE_MIN_CLUSTER_SIZE, params.min_cluster_size),
    )


def _or(value: _T | None, default: _T) -> _T:
    return default if value is None else value


@dataclasses.dataclass(frozen=True)
class PeopleRefreshSummary:
    model_key: str
    faces: int
    assigned: int
    persons_created: int
    clustered: int
    unassigned: int
    suggested: int
    persons_removed: int
    seconds: float


@dataclasses.dataclass
class _Snapshot:
    model_key: str
    ids: np.ndarray
    photo_ids: np.ndarray
    person_ids: np.ndarray  # root person or -1
    sources: list[str]
    evaluated: np.ndarray  # bool: an automatic assignment already made with these embeddings
    grouped: np.ndarray  # when the machine last tried the face against the persons (epoch s, nan: never)
    sizes: np.ndarray
    scores: np.ndarray
    vectors: np.ndarray


def _snapshot(owner_id: int, model_key: str, roots: dict[int, int]) -> _Snapshot:
    # Faces on photos in the trash are left as they are (neither placed nor used to place others):
    # a restored photo comes back with its faces' persons unchanged.
    rows = (
        Face.objects.filter(owner_id=owner_id, model_key=model_key, photo__trashed_at__isnull=True)
        .order_by("id")
        .values_list(
            "id",
            "photo_id",
            "person_id",
            "person_source",
            "similarity",
            "grouped_at",
            "x1",
            "y1",
            "x2",
            "y2",
            "score",
            "dim",
            "embedding",
        )
    )
    ids, photos, persons, sources, evaluated, sizes, scores, chunks = [], [], [], [], [], [], [], []
    grouped: list[float] = []
    dim = 0
    for (
        pk,
        photo_id,
        person_id,
        source,
        similarity,
        grouped_at,
        x1,
        y1,
        x2,
        y2,
        score,
        face_dim,
        embedding,
    ) in rows.iterator(chunk_size=4000):
        dim = dim or face_dim
        if face_dim != dim:
            raise ValueError(f"face {pk} has dimension {face_dim}, expected {dim} for {model_key}")
        ids.append(pk)
        photos.append(photo_id)
        persons.append(roots.get(person_id, -1) if person_id is not None else -1)
        sources.append(source)
        evaluated.append(similarity is not None)
        grouped.append(grouped_at.timestamp() if grouped_at is not None else np.nan)
        sizes.append(min(x2 - x1, y2 - y1))
        scores.append(score)
        chunks.append(bytes(embedding))
    vectors = (
        np.frombuffer(b"".join(chunks), dtype="<f4").reshape(-1, dim).astype(np.float32)
        if ids
        else np.empty((0, 0), np.float32)
    )
    return _Snapshot(
        model_key=model_key,
        ids=np.asarray(ids, np.int64),
        photo_ids=np.asarray(photos, np.int64),
        person_ids=np.asarray(persons, np.int64),
        sources=sources,
        evaluated=np.asarray(evaluated, bool),
        grouped=np.asarray(grouped, np.float64),
        sizes=np.asarray(sizes, np.float32),
        scores=np.asarray(scores, np.float32),
        vectors=vectors,
    )


def people_refresh(
    *,
    owner_id: int,
    model_key: str | None = None,
    rebuild: bool = False,
    dry_run: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> PeopleRefreshSummary:
    """Place the owner's faces of `model_key` (default: the active model) that the user has not
    decided about: assign them to existing persons when clearly theirs, cluster the rest into new
    unnamed persons, and suggest a person for what stays unassigned.

    Candidates are faces without a person and automatic assignments not yet evaluated with these
    embeddings (inherited on re-indexing); `rebuild` re-evaluates every automatic assignment.
    Confirmed and manual faces, names, rejections and merges are never changed."""
    from recognition.runtime import active_model_key

    began = time.perf_counter()
    model_key = model_key or active_model_key()
    params = people_params(model_key)
    started = timezone.now()  # a user's decision after this is seen by the next run
    roots = _roots(owner_id)
    snap = _snapshot(owner_id, model_key, roots)
    n = len(snap.ids)
    is_candidate = np.array(
        [
            snap.person_ids[i] < 0 or (snap.sources[i] == AUTO and (rebuild or not snap.evaluated[i]))
            for i in range(n)
        ],
        dtype=bool,
    )
    labelled_mask = (snap.person_ids >= 0) & ~is_candidate
    cand = np.flatnonzero(is_candidate)
    # Tried against the persons: new faces, faces inherited or rebuilt, and every unassigned face
    # once the user changed who is who; the others keep their earlier answer (and suggestion).
    state = PeopleState.objects.filter(owner_id=owner_id).first()
    changed_at = state.persons_changed_at.timestamp() if state and state.persons_changed_at else -np.inf
    stale = ~(snap.grouped >= changed_at)  # never tried (nan) or tried before the user's change
    to_try = cand[(snap.person_ids[cand] >= 0) | stale[cand] | rebuild]
    rejected: dict[int, set[int]] = defaultdict(set)
    for face_id, person_id in FaceRejection.objects.filter(owner_id=owner_id).values_list(
        "face_id", "person_id"
    ):
        rejected[face_id].add(roots.get(person_id, person_id))
    previous = {int(snap.ids[i]): int(snap.person_ids[i]) for i in cand if snap.person_ids[i] >= 0}

    dim = snap.vectors.shape[1] if n else 0
    labelled = LabelledFaces(
        vectors=snap.vectors[labelled_mask] if n else np.empty((0, dim), np.float32),
        person_ids=snap.person_ids[labelled_mask],
        photo_ids=snap.photo_ids[labelled_mask],
    )

    def candidates(rows: np.ndarray) -> CandidateFaces:
        return CandidateFaces(
            face_ids=snap.ids[rows],
            vectors=snap.vectors[rows] if n else np.empty((0, dim), np.float32),
            photo_ids=snap.photo_ids[rows],
            sizes=snap.sizes[rows],
            scores=snap.scores[rows],
            rejected=[frozenset(rejected.get(int(snap.ids[r]), ())) for r in rows],
        )

    if progress:
        progress("assign", 0, len(to_try))
    assignments = (
        PersonIndex(labelled, params).assign(candidates(to_try))
        if len(to_try) and len(labelled.person_ids)
        else []
    )
    assigned = {a.face_id: a for a in assignments if a.person_id is not None}
    suggestions = {
        a.face_id: a for a in assignments if a.person_id is None and a.suggested_person_id is not None
    }
    if progress:
        progress("assign", len(to_try), len(to_try))
    rest = np.array([r for r in cand if int(snap.ids[r]) not in assigned], dtype=np.int64)

    def report(done: int, total: int) -> None:
        if progress:
            progress("cluster", done, total)

    # The same leftovers as last time (all tried before, none new) would cluster the same way.
    fresh_pool = bool(len(rest)) and bool((stale[rest] | (snap.person_ids[rest] >= 0) | rebuild).any())
    result = cluster_faces(candidates(rest), params, progress=report) if fresh_pool else None
    clusters: dict[int, list[int]] = defaultdict(list)
    if result is not None:
        for row, label in zip(rest, result.labels, strict=True):
            if label >= 0:
                clusters[int(label)].append(int(row))

    new_suggestions = _suggest_new_persons(snap, rest, clusters, candidates, params)

    summary_counts = {"assigned": 0, "created": 0, "clustered": 0, "suggested": 0, "removed": 0}
    if not dry_run:
        summary_counts = _write_refresh(
            owner_id=owner_id,
            snap=snap,
            cand=cand,
            tried={int(snap.ids[r]) for r in to_try},
            started=started,
            assigned=assigned,
            suggestions=suggestions,
            new_suggestions=new_suggestions,
            clusters=clusters,
            previous=previous,
            rejected=rejected,
            labelled_mask=labelled_mask,
        )
    else:
        summary_counts["assigned"] = len(assigned)
        summary_counts["created"] = len(clusters)
        summary_counts["clustered"] = sum(len(v) for v in clusters.values())
        summary_counts["suggested"] = len(set(suggestions) | set(new_suggestions))
    unassigned = len(cand) - summary_counts["assigned"] - summary_counts["clustered"]
    return PeopleRefreshSummary(
        model_key=model_key,
        faces=n,
        assigned=summary_counts["assigned"],
        persons_created=summary_counts["created"],
        clustered=summary_counts["clustered"],
        unassigned=max(0, unassigned),
        suggested=summary_counts["suggested"],
        persons_removed=summary_counts["removed"],
        seconds=time.perf_counter() - began,
    )


def _suggest_new_persons(
    snap: _Snapshot,
    rest: np.ndarray,
    clusters: dict[int, list[int]],
    candidates: Callable[[np.ndarray], CandidateFaces],
    params: PeopleParams,
) -> dict[int, tuple[int, float]]:
    """Faces this run's clustering left out, scored against the persons it is about to make (the
    first pass only knew the persons that existed): face id -> (cluster label, score), for the
    review queue to offer at once. Which suggestion a face keeps is decided when writing."""
    if not clusters:
        return {}
    in_cluster = {row for rows in clusters.values() for row in rows}
    left = np.array([r for r in rest if int(r) not in in_cluster], dtype=np.int64)
    if not len(left):
        return {}
    rows = [row for label in sorted(clusters) for row in clusters[label]]
    labels = [label for label in sorted(clusters) for _ in clusters[label]]
    new_persons = LabelledFaces(
        vectors=snap.vectors[rows],
        person_ids=np.array(labels, dtype=np.int64),
        photo_ids=snap.photo_ids[rows],
    )
    found: dict[int, tuple[int, float]] = {}
    for a in PersonIndex(new_persons, params).assign(candidates(left)):
        label = a.person_id if a.person_id is not None else a.suggested_person_id
        if label is not None:
            found[a.face_id] = (int(label), float(a.similarity))
    return found


def _new_persons(owner_id: int, count: int, into: list[int]) -> int:
    """Create `count` unnamed persons at once; return one id and leave the others in `into`."""
    made = Person.objects.bulk_create([Person(owner_id=owner_id) for _ in range(max(1, count))])
    into.extend(sorted((int(p.pk) for p in made), reverse=True))
    return into.pop()


def _write_refresh(
    *,
    owner_id: int,
    snap: _Snapshot,
    cand: np.ndarray,
    tried: set[int],
    started: datetime,
    assigned: dict[int, Any],
    suggestions: dict[int, Any],
    new_suggestions: dict[int, tuple[int, float]],
    clusters: dict[int, list[int]],
    previous: dict[int, int],
    rejected: dict[int, set[int]],
    labelled_mask: np.ndarray,
) -> dict[str, int]:
    counts = {"assigned": 0, "created": 0, "clustered": 0, "suggested": 0, "removed": 0}
    with transaction.atomic():
        state = _lock_owner(owner_id)
        roots = _roots(owner_id)
        live = set(
            Person.objects.filter(owner_id=owner_id, merged_into__isnull=True).values_list("id", flat=True)
        )
        cand_ids = [int(snap.ids[r]) for r in cand]
        # Only faces that are still the machine's, exactly as they were read, may change.
        row_of = {int(snap.ids[r]): int(r) for r in cand}
        now_rows = Face.objects.filter(owner_id=owner_id, model_key=snap.model_key).values_list(
            "id", "person_id", "person_source", "suggested_person_id", "similarity"
        )
        current: dict[int, tuple[int | None, str, int | None, float | None]] = {
            row[0]: row[1:] for row in now_rows.iterator(chunk_size=4000) if row[0] in row_of
        }

        def still_machines(face_id: int) -> bool:
            row = current.get(face_id)
            if row is None or row[1] in USER_SOURCES:
                return False
            person_id = roots.get(row[0], row[0]) if row[0] is not None else -1
            return person_id == int(snap.person_ids[row_of[face_id]])

        # The photos each person already shows: the machine never adds a second face of one.
        photos_of: dict[int, set[int]] = defaultdict(set)
        for owner_person, photo_id in zip(
            snap.person_ids[labelled_mask].tolist(), snap.photo_ids[labelled_mask].tolist(), strict=True
        ):
            photos_of[roots.get(owner_person, owner_person)].add(photo_id)

        def claim(face_id: int, person_id: int) -> bool:
            photo_id = int(snap.photo_ids[row_of[face_id]])
            if (
                person_id not in live
                or photo_id in photos_of[person_id]
                or person_id in rejected.get(face_id, ())
            ):
                return False
            photos_of[person_id].add(photo_id)
            return True

        now = timezone.now()
        touched: set[int] = set()
        # Writes grouped by the values they set: a few UPDATE statements instead of one per face.
        writes: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
        placed: set[int] = set()

        def write(face_id: int, **values: Any) -> None:
            writes[tuple(sorted(values.items()))].append(face_id)
            placed.add(face_id)

        # 1. assignments to existing persons, best first
        for face_id, a in sorted(assigned.items(), key=lambda item: -float(item[1].similarity)):
            target = roots.get(int(a.person_id), int(a.person_id))
            if still_machines(face_id) and claim(face_id, target):
                write(
                    face_id,
                    person_id=target,
                    person_source=AUTO.value,
                    person_at=now,
                    suggested_person_id=None,
                    similarity=round(float(a.similarity), 3),
                    grouped_at=started,
                )
                touched.add(target)
        counts["assigned"] = len(placed)
        # 2. new persons from clusters; a cluster made mostly of one person's automatic faces (being
        # re-evaluated) stays that person, so a re-run or a model change keeps ids, names and covers
        reused: set[int] = set()
        fresh: list[int] = []  # persons made in bulk, handed out one per new cluster
        person_of_label: dict[int, int] = {}  # for suggestions of this run's new persons
        for label in sorted(clusters):
            rows = [r for r in clusters[label] if still_machines(int(snap.ids[r]))]
            members = [int(snap.ids[r]) for r in rows]
            before = Counter(previous[f] for f in members if f in previous)
            if not members:
                continue
            candidate, votes = before.most_common(1)[0] if before else (-1, 0)
            if 2 * votes >= len(members) and candidate in live and candidate not in reused:
                new_person = candidate
                reused.add(candidate)
            else:
                new_person = fresh.pop() if fresh else _new_persons(owner_id, len(clusters) - label, fresh)
                live.add(new_person)
                counts["created"] += 1
            kept = [(f, r) for f, r in zip(members, rows, strict=True) if claim(f, new_person)]
            if not kept:
                continue
            person_of_label[label] = new_person
            # Similarity of an automatic member: the cluster's mean closeness to its centre.
            vectors = snap.vectors[[r for _, r in kept]]
            centroid = vectors.mean(axis=0)
            centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
            closeness = round(float((vectors @ centroid).mean()), 3)
            for face_id, _row in kept:
                write(
                    face_id,
                    person_id=new_person,
                    person_source=AUTO.value,
                    person_at=now,
                    suggested_person_id=None,
                    similarity=closeness,
                    grouped_at=started,
                )
            counts["clustered"] += len(kept)
            touched.add(new_person)
        if fresh:  # made for clusters whose faces all went elsewhere meanwhile
            Person.objects.filter(pk__in=fresh).delete()

        # 3. what stays unassigned: out of its dissolved automatic person, with a suggestion: the
        # best of the first pass's (an existing person) and the second's (a person made above)
        # that the face may still go to
        def allowed(face_id: int, person_id: int) -> bool:
            return (
                person_id in live
                and person_id not in rejected.get(face_id, ())
                and int(snap.photo_ids[row_of[face_id]]) not in photos_of[person_id]
            )

        for face_id in cand_ids:
            if face_id in placed or not still_machines(face_id):
                continue
            old_person, _source, old_suggested, old_similarity = current[face_id]
            best: tuple[float, int] | None = None
            if face_id in new_suggestions:
                label, score = new_suggestions[face_id]
                target = person_of_label.get(label, -1)
                if allowed(face_id, target):
                    best = (score, target)
            if face_id not in tried:
                # Not tried this time: it keeps its earlier suggestion unless a new person fits better.
                old_root = roots.get(old_suggested, old_suggested) if old_suggested is not None else None
                keeps_old = (
                    old_root is not None
                    and old_similarity is not None
                    and allowed(face_id, old_root)
                    and (best is None or float(old_similarity) >= best[0])
                )
                if best is None or keeps_old:
                    continue
            else:
                first = suggestions.get(face_id)
                if first is not None and first.suggested_person_id is not None:
                    target = roots.get(int(first.suggested_person_id), -1)
                    if allowed(face_id, target) and (best is None or float(first.similarity) > best[0]):
                        best = (float(first.similarity), target)
            suggested_id: int | None = best[1] if best else None
            similarity: float | None = round(best[0], 3) if best else None
            counts["suggested"] += suggested_id is not None
            if old_person is None:
                if old_suggested == suggested_id and old_similarity == similarity:
                    write(face_id, grouped_at=started)
                else:
                    write(
                        face_id, suggested_person_id=suggested_id, similarity=similarity, grouped_at=started
                    )
            else:
                touched.add(roots.get(old_person, old_person))
                write(
                    face_id,
                    person_id=None,
                    person_source="",
                    person_at=now,
                    suggested_person_id=suggested_id,
                    similarity=similarity,
                    grouped_at=started,
                )
        for values, face_ids in writes.items():
            for chunk in _chunks(face_ids):
                Face.objects.filter(pk__in=chunk).update(**dict(values))
        # 4. automatic persons left empty go; named, hidden or dated ones stay, and so do persons a
        # merge can bring back
        merges = PersonMerge.objects.filter(owner_id=owner_id).values_list("source_id", "target_id")
        keep = {pk for pair in merges for pk in pair}
        empty = list(
            Person.objects.filter(
                owner_id=owner_id, name="", merged_into__isnull=True, hidden=False, birth_date=None
            )
            .exclude(pk__in=keep)
            .exclude(faces__isnull=False)
            .values_list("id", flat=True)
        )
        if empty:
            Person.objects.filter(pk__in=empty).delete()
        counts["removed"] = len(empty)
        _refresh_covers(touched & live - set(empty))
        state.finished_at = now
        state.save(update_fields=["finished_at"])
    return counts
