"""People services: what the machine proposes and what the user decides, and how they interact."""

from __future__ import annotations

import pytest

from people import services
from people.models import FaceRejection, Person, PersonMerge
from people.services import NothingToUndo, PeopleError, people_refresh
from recognition.ml.types import DetectedFace, FaceEmbedding
from recognition.models import Face
from recognition.services import photo_faces_replace

from .conftest import MODEL, face_embeddings, vector_near

pytestmark = pytest.mark.django_db


def _person_of(face: Face) -> int | None:
    face.refresh_from_db()
    return face.person_id


def _faces(photos_and_faces):
    return [faces[0] for _, faces in photos_and_faces]


def test_refresh_groups_an_identity_seen_three_times_and_leaves_pairs_alone(user, identities, face_photo):
    a = _faces([face_photo(user, identities.face(1)) for _ in range(3)])
    b = _faces([face_photo(user, identities.face(2)) for _ in range(2)])

    summary = people_refresh(owner_id=user.pk)

    persons = {_person_of(f) for f in a}
    assert len(persons) == 1
    assert None not in persons
    assert {_person_of(f) for f in b} == {None}  # 2 faces: below the minimum of 3
    assert summary.persons_created == 1
    assert summary.clustered == 3
    person = Person.objects.get()
    assert person.name == ""
    assert person.cover_face_id in {f.pk for f in a}
    assert set(Face.objects.filter(person=person).values_list("person_source", flat=True)) == {"auto"}


def test_machine_never_puts_two_faces_of_one_photo_in_one_person(user, identities, face_photo):
    # Twins: the same identity twice in each photo; every pair is closer than any threshold.
    pairs = [face_photo(user, identities.face(1, 0.01), identities.face(1, 0.01)) for _ in range(4)]

    people_refresh(owner_id=user.pk)

    for _, faces in pairs:
        persons = [_person_of(f) for f in faces]
        assert persons[0] is None or persons[0] != persons[1]
    for person in Person.objects.all():
        photos = list(Face.objects.filter(person=person).values_list("photo_id", flat=True))
        assert len(photos) == len(set(photos))


def test_new_face_joins_a_named_person(user, identities, face_photo):
    first = _faces([face_photo(user, identities.face(1)) for _ in range(3)])
    people_refresh(owner_id=user.pk)
    person = Person.objects.get()
    services.person_update(person=person, name="  Minji  Kim ")
    person.refresh_from_db()
    assert person.name == "Minji Kim"
    assert set(Face.objects.filter(person=person).values_list("person_source", flat=True)) == {"confirmed"}

    _, (later,) = face_photo(user, identities.face(1))
    people_refresh(owner_id=user.pk)

    later.refresh_from_db()
    assert later.person_id == person.pk
    assert later.person_source == "auto"
    assert later.similarity is not None
    assert later.similarity > 0.9
    assert all(_person_of(f) == person.pk for f in first)


def test_rejected_face_never_goes_back_even_on_rebuild(user, identities, face_photo):
    faces = _faces([face_photo(user, identities.face(1)) for _ in range(4)])
    people_refresh(owner_id=user.pk)
    person = Person.objects.get()
    services.person_update(person=person, name="Minji")

    removed = services.faces_reject(person=person, faces=[faces[0]])

    assert removed == 1
    assert _person_of(faces[0]) is None
    people_refresh(owner_id=user.pk)
    people_refresh(owner_id=user.pk, rebuild=True)
    assert _person_of(faces[0]) != person.pk
    faces[0].refresh_from_db()
    assert faces[0].suggested_person_id != person.pk
    assert FaceRejection.objects.filter(face=faces[0], person=person).exists()


def test_manual_move_and_confirmation_survive_a_rebuild(user, identities, face_photo):
    ones = _faces([face_photo(user, identities.face(1)) for _ in range(3)])
    twos = _faces([face_photo(user, identities.face(2)) for _ in range(3)])
    _, (blurry,) = face_photo(user, identities.face(2, noise=0.2))  # too far for the machine
    people_refresh(owner_id=user.pk)
    p1, p2 = Person.objects.get(faces=ones[0]), Person.objects.get(faces=twos[0])
    assert _person_of(blurry) is None

    services.faces_move(owner=user, faces=[blurry], person=p2)
    services.faces_confirm(person=p1, faces=[ones[0]])
    people_refresh(owner_id=user.pk, rebuild=True)

    blurry.refresh_from_db()
    ones[0].refresh_from_db()
    assert (blurry.person_id, blurry.person_source) == (p2.pk, "manual")
    assert (ones[0].person_id, ones[0].person_source) == (p1.pk, "confirmed")
    assert {_person_of(f) for f in ones} == {p1.pk}
    assert {_person_of(f) for f in twos} == {p2.pk}


def test_merge_and_undo_restore_faces_and_names(user, identities, face_photo):
    ones = _faces([face_photo(user, identities.face(1)) for _ in range(3)])
    twos = _faces([face_photo(user, identities.face(2)) for _ in range(3)])
    people_refresh(owner_id=user.pk)
    p1, p2 = Person.objects.get(faces=ones[0]), Person.objects.get(faces=twos[0])
    services.person_update(person=p1, name="Jisoo")

    kept = services.person_merge(source=p1, target=p2)

    assert kept.pk == p2.pk
    assert kept.name == "Jisoo"
    assert {_person_of(f) for f in ones + twos} == {p2.pk}
    p1.refresh_from_db()
    assert p1.merged_into_id == p2.pk
    # The user said they are one person: the moved faces are confirmed; the kept ones as they were.
    assert {f.person_source for f in Face.objects.filter(pk__in=[f.pk for f in ones])} == {"confirmed"}
    assert {f.person_source for f in Face.objects.filter(pk__in=[f.pk for f in twos])} == {"auto"}

    merge = services.person_merge_undo(owner=user)

    assert merge.source_id == p1.pk
    assert {f.person_source for f in Face.objects.filter(pk__in=[f.pk for f in ones])} == {"confirmed"}
    assert {_person_of(f) for f in ones} == {p1.pk}
    assert {_person_of(f) for f in twos} == {p2.pk}
    p1, p2 = Person.objects.get(pk=p1.pk), Person.objects.get(pk=p2.pk)
    assert p1.merged_into_id is None
    assert p1.name == "Jisoo"
    assert p2.name == ""
    with pytest.raises(NothingToUndo):
        services.person_merge_undo(owner=user)


def test_undo_keeps_a_name_given_after_the_merge(user, identities, face_photo):
    ones = _faces([face_photo(user, identities.face(1)) for _ in range(3)])
    twos = _faces([face_photo(user, identities.face(2)) for _ in range(3)])
    people_refresh(owner_id=user.pk)
    p1, p2 = Person.objects.get(faces=ones[0]), Person.objects.get(faces=twos[0])
    services.person_update(person=p1, name="Jisoo")
    kept = services.person_merge(source=p1, target=p2)
    services.person_update(person=kept, name="Jisoo Kim")

    services.person_merge_undo(owner=user)

    assert Person.objects.get(pk=p2.pk).name == "Jisoo Kim"
    assert Person.objects.get(pk=p1.pk).name == "Jisoo"


def test_undo_restores_how_merged_faces_were_grouped(user, identities, face_photo):
    ones = _faces([face_photo(user, identities.face(1)) for _ in range(3)])
    twos = _faces([face_photo(user, identities.face(2)) for _ in range(3)])
    people_refresh(owner_id=user.pk)
    p1, p2 = Person.objects.get(faces=ones[0]), Person.objects.get(faces=twos[0])

    services.person_merge(source=p2, target=p1)
    assert set(Face.objects.filter(person=p1).values_list("person_source", flat=True)) == {
        "auto",
        "confirmed",
    }
    services.person_merge_undo(owner=user)

    assert [(f.person_id, f.person_source) for f in Face.objects.filter(pk__in=[f.pk for f in twos])] == [
        (p2.pk, "auto")
    ] * 3


def test_merge_undo_after_reindex_follows_the_new_faces(user, identities, face_photo):
    made = [face_photo(user, identities.face(1)) for _ in range(3)]
    made += [face_photo(user, identities.face(2)) for _ in range(3)]
    people_refresh(owner_id=user.pk)
    p1 = Person.objects.get(faces=made[0][1][0])
    p2 = Person.objects.get(faces=made[3][1][0])
    services.person_update(person=p1, name="One")
    services.person_update(person=p2, name="Two")
    services.person_merge(source=p1, target=p2)

    for photo, faces in made:  # re-index every photo: new face rows, same boxes
        vector = faces[0].vector()
        photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=face_embeddings([vector]))
    services.person_merge_undo(owner=user)

    for i, (photo, _) in enumerate(made):
        (face,) = Face.objects.filter(photo=photo)
        assert face.person_id == (p1.pk if i < 3 else p2.pk)


def test_reindex_carries_decisions_to_overlapping_faces_of_another_model(user, identities, face_photo):
    photos = [face_photo(user, identities.face(1)) for _ in range(3)]
    people_refresh(owner_id=user.pk)
    person = Person.objects.get()
    services.person_update(person=person, name="Minji")
    services.faces_reject(person=person, faces=[photos[0][1][0]])
    services.person_update(person=person, cover_face=photos[1][1][0])

    for photo, _ in photos:  # another model: new vectors, boxes shifted a little
        (face,) = face_embeddings([identities.face(9)])
        x1, y1, x2, y2 = face.face.box
        moved = DetectedFace(box=(x1 + 3, y1 + 3, x2 + 3, y2 + 3), score=0.99, landmarks=face.face.landmarks)
        photo_faces_replace(
            photo_id=photo.pk, model_key="other-model", faces=[FaceEmbedding(face=moved, vector=face.vector)]
        )

    new = [Face.objects.get(photo=p, model_key="other-model") for p, _ in photos]
    assert new[0].person_id is None
    assert FaceRejection.objects.filter(face=new[0], person=person).exists()
    assert [(f.person_id, f.person_source) for f in new[1:]] == [(person.pk, "confirmed")] * 2


def test_user_action_during_a_refresh_wins(user, identities, face_photo):
    faces = _faces([face_photo(user, identities.face(1)) for _ in range(3)])
    other = Person.objects.create(owner=user, name="Other")

    def meddle(stage, done, total):
        if stage == "assign" and done == total:
            services.faces_move(owner=user, faces=[faces[0]], person=other)

    people_refresh(owner_id=user.pk, progress=meddle)

    faces[0].refresh_from_db()
    assert (faces[0].person_id, faces[0].person_source) == (other.pk, "manual")


def test_create_person_from_faces_and_foreign_objects_are_refused(user, other_user, identities, face_photo):
    _, (mine,) = face_photo(user, identities.face(1))
    _, (theirs,) = face_photo(other_user, identities.face(2))

    person = services.person_create(owner=user, faces=[mine], name="Dad")

    mine.refresh_from_db()
    assert (mine.person_id, mine.person_source) == (person.pk, "manual")
    assert person.cover_face_id == mine.pk
    with pytest.raises(PeopleError):
        services.person_create(owner=user, faces=[theirs], name="Nope")
    with pytest.raises(PeopleError):
        services.faces_move(owner=user, faces=[mine], person=Person.objects.create(owner=other_user))
    assert not Person.objects.filter(name="Nope").exists()


def test_empty_automatic_persons_are_removed_but_named_ones_stay(user, identities, face_photo):
    faces = _faces([face_photo(user, identities.face(1)) for _ in range(3)])
    people_refresh(owner_id=user.pk)
    auto_person = Person.objects.get()
    named = services.person_create(owner=user, faces=faces, name="Kept")

    summary = people_refresh(owner_id=user.pk)

    assert summary.persons_removed == 1
    assert not Person.objects.filter(pk=auto_person.pk).exists()
    assert Person.objects.filter(pk=named.pk).exists()
    assert not PersonMerge.objects.exists()


def test_unassigned_faces_are_tried_again_only_after_the_user_changes_who_is_who(
    user, identities, face_photo, monkeypatch
):
    from recognition.ml.people import PersonIndex

    tried: list[set[int]] = []
    original = PersonIndex.assign

    def spy(self, candidates):
        tried.append({int(f) for f in candidates.face_ids})
        return original(self, candidates)

    monkeypatch.setattr(PersonIndex, "assign", spy)
    _faces([face_photo(user, identities.face(1)) for _ in range(3)])
    people_refresh(owner_id=user.pk)
    person = Person.objects.get()
    _, (lone,) = face_photo(user, identities.face(9))

    people_refresh(owner_id=user.pk)
    assert tried[-1] == {lone.pk}  # a new face is tried
    calls = len(tried)
    people_refresh(owner_id=user.pk)
    assert len(tried) == calls  # nothing new, nothing changed: nobody is tried again
    services.person_update(person=person, name="Minji")
    people_refresh(owner_id=user.pk)
    assert tried[-1] == {lone.pk}  # after the user's decision, unassigned faces are tried again


def test_a_face_left_out_of_a_new_person_is_suggested_for_it(user, identities, face_photo):
    """The same run that makes a person from three faces suggests it for a fourth face that is
    close, but not close enough to join by itself (the review queue offers it at once)."""
    views = [identities.face(1) for _ in range(3)]
    members = _faces([face_photo(user, v) for v in views])
    near = face_photo(user, vector_near(views, 0.915))[1][0]
    far = face_photo(user, identities.face(2))[1][0]

    summary = people_refresh(owner_id=user.pk)

    person = Person.objects.get()
    assert {_person_of(f) for f in members} == {person.pk}
    near.refresh_from_db()
    far.refresh_from_db()
    assert near.person_id is None
    assert near.suggested_person_id == person.pk
    assert 0.90 <= near.similarity < 0.93
    assert far.person_id is None
    assert far.suggested_person_id is None
    assert summary.suggested == 1
    # "Not this person" for the suggestion: never suggested again, even on a rebuild.
    services.faces_reject(person=person, faces=[near])
    people_refresh(owner_id=user.pk, rebuild=True)
    near.refresh_from_db()
    assert near.person_id is None
    assert near.suggested_person_id is None


def test_a_face_not_tried_again_keeps_a_better_suggestion_but_takes_a_closer_new_person(
    user, identities, face_photo
):
    from django.utils import timezone

    seven = services.person_create(
        owner=user, faces=_faces([face_photo(user, identities.face(7)) for _ in range(3)]), name="Seven"
    )
    views = [identities.face(1) for _ in range(3)]
    keeps = face_photo(user, vector_near(views, 0.915, seed=4))[1][0]
    swaps = face_photo(user, vector_near(views, 0.915, seed=5))[1][0]
    # Both were tried after the user's last decision and carry an earlier suggestion for Seven:
    # one surer than the new person will be, one weaker.
    now = timezone.now()
    Face.objects.filter(pk=keeps.pk).update(suggested_person=seven, similarity=0.99, grouped_at=now)
    Face.objects.filter(pk=swaps.pk).update(suggested_person=seven, similarity=0.5, grouped_at=now)
    members = _faces([face_photo(user, v) for v in views])

    people_refresh(owner_id=user.pk)

    made = Person.objects.exclude(pk=seven.pk).get()
    assert {_person_of(f) for f in members} == {made.pk}
    keeps.refresh_from_db()
    swaps.refresh_from_db()
    assert (keeps.person_id, keeps.suggested_person_id, keeps.similarity) == (None, seven.pk, 0.99)
    assert swaps.person_id is None
    assert swaps.suggested_person_id == made.pk
    assert 0.90 <= swaps.similarity < 0.93


def test_a_suggestion_never_names_a_person_already_in_that_photo(user, identities, face_photo):
    members = _faces([face_photo(user, identities.face(1)) for _ in range(3)])
    people_refresh(owner_id=user.pk)
    person = Person.objects.get()
    # The user adds a face unlike the others (a profile, say) to that person, in a photo that
    # also shows a look-alike of the others.
    _, (odd, look_alike) = face_photo(
        user, identities.face(9), vector_near([f.vector() for f in members], 0.915)
    )
    services.faces_move(owner=user, faces=[odd], person=person)

    people_refresh(owner_id=user.pk, rebuild=True)  # the members cluster again, into the same person

    assert {_person_of(f) for f in members} == {person.pk}
    look_alike.refresh_from_db()
    assert look_alike.person_id is None
    assert look_alike.suggested_person_id is None
