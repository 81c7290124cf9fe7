"""Explicit output serializers of People (presentation only; the objects come from selectors)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from people.models import Person
from recognition.models import Face


def face_box(face: Face) -> list[float]:
    return [round(float(v), 1) for v in face.box]


def face_crop_url(face: Face, request: Any | None) -> str:
    url = reverse("recognition:face_crop", kwargs={"face_id": face.pk})
    return str(request.build_absolute_uri(url)) if request is not None else url


# Nullable objects are described inline, not as a `$ref` beside `nullable` (which OpenAPI 3.0
# validators and client generators read as "never null").
PERSON_REF_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "A person of yours ({id, name}; name is empty while unnamed), or null.",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    "required": ["id", "name"],
}
COVER_FACE_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "The face shown for the person, or null while it has none.",
    "properties": {
        "id": {"type": "integer"},
        "photo": {"type": "integer"},
        "box": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
        "crop_url": {"type": "string", "format": "uri"},
    },
    "required": ["id", "photo", "box", "crop_url"],
}


@extend_schema_field(PERSON_REF_SCHEMA)
class PersonRefField(serializers.Field):  # type: ignore[type-arg]
    """A person as `{id, name}` (None stays null)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Person) -> dict[str, Any]:
        return {"id": value.pk, "name": value.name}


@extend_schema_field(COVER_FACE_SCHEMA)
class CoverFaceField(serializers.Field):  # type: ignore[type-arg]
    """A person's cover face as `{id, photo, box, crop_url}` (None stays null)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Face) -> dict[str, Any]:
        return {
            "id": value.pk,
            "photo": value.photo_id,
            "box": face_box(value),
            "crop_url": face_crop_url(value, self.context.get("request")),
        }


class PersonOutputSerializer(serializers.ModelSerializer[Person]):
    face_count = serializers.IntegerField(read_only=True)
    photo_count = serializers.IntegerField(read_only=True)
    cover_face = CoverFaceField()

    class Meta:
        model = Person
        fields = ("id", "name", "hidden", "birth_date", "face_count", "photo_count", "cover_face")
        read_only_fields = fields


class FaceOutputSerializer(serializers.ModelSerializer[Face]):
    """One face: where it is, and whom it shows (or the machine's suggestion for it)."""

    photo = serializers.IntegerField(source="photo_id", read_only=True)
    photo_id = serializers.IntegerField(read_only=True)
    box = serializers.SerializerMethodField()
    person = PersonRefField()
    suggested_person = PersonRefField()
    crop_url = serializers.SerializerMethodField()

    class Meta:
        model = Face
        fields = (
            "id",
            "photo",
            "photo_id",
            "box",
            "score",
            "landmarks",
            "model_key",
            "person",
            "person_source",
            "suggested_person",
            "similarity",
            "crop_url",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.FloatField()))
    def get_box(self, face: Face) -> list[float]:
        return face_box(face)

    @extend_schema_field(serializers.URLField())
    def get_crop_url(self, face: Face) -> str:
        return face_crop_url(face, self.context.get("request"))

    def to_representation(self, instance: Face) -> dict[str, Any]:
        data = super().to_representation(instance)
        # A suggestion only stands for a face without a person; the similarity belongs to either.
        if instance.person_id is not None:
            data["suggested_person"] = None
        return data
