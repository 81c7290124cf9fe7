"""`manage.py cluster_faces`: runs the grouping now, per user, with a summary; --dry-run, --rebuild."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from people import services
from people.models import Person
from recognition.models import Face

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("cluster_faces", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_groups_each_user_and_reports(user, other_user, identities, face_photo):
    for _ in range(3):
        face_photo(user, identities.face(1))
        face_photo(other_user, identities.face(2))

    dry = _run("--dry-run")
    assert "[dry run] alice: 3 face(s) of dlib-resnet" in dry
    assert "1 person(s) created with 3 face(s)" in dry
    assert not Person.objects.exists()

    report = _run("--user", "alice")
    assert "alice: 3 face(s)" in report
    assert "mallory" not in report
    assert Person.objects.filter(owner=user).count() == 1
    assert not Person.objects.filter(owner=other_user).exists()

    _run()
    assert Person.objects.filter(owner=other_user).count() == 1
    for person in Person.objects.all():
        assert {f.owner_id for f in Face.objects.filter(person=person)} == {person.owner_id}


def test_rebuild_keeps_what_the_user_did(user, identities, face_photo):
    faces = [face_photo(user, identities.face(1))[1][0] for _ in range(4)]
    _run()
    person = Person.objects.get()
    services.person_update(person=person, name="Minji")
    services.faces_reject(person=person, faces=[faces[0]])

    report = _run("--rebuild")

    assert "0 person(s) created" in report
    person.refresh_from_db()
    assert person.name == "Minji"
    assert Face.objects.get(pk=faces[0].pk).person_id is None
    assert set(Face.objects.filter(person=person).values_list("id", flat=True)) == {f.pk for f in faces[1:]}


def test_unknown_user_is_an_error(user):
    with pytest.raises(CommandError, match="No user"):
        _run("--user", "nobody")
