"""REST API for search by face and a photo's faces: explicit input and output serializers;
errors are raised and mapped to answers by memory_studio.api.exception_handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.requests import signed_in_user
from gallery.apis import refuse_oversized_body
from gallery.images import open_upload_upright
from gallery.models import Photo
from gallery.serializers import PhotoOutputSerializer
from memory_studio.api import ErrorSerializer
from memory_studio.ids import MAX_DB_ID
from memory_studio.parsers import BoundedJSONParser
from memory_studio.throttling import throttle_rate
from people.serializers import FaceOutputSerializer, PersonRefField
from recognition.ml.types import DetectedFace
from recognition.models import Face, SearchQuery
from recognition.runtime import active_model_key, get_pipeline
from recognition.search import (
    STRICTNESS,
    SearchResult,
    search_by_face,
    search_by_image,
    search_by_query,
)
from recognition.selectors import face_get_for_user, photo_faces_for_user, search_query_get_for_user


class BoxField(serializers.ListField):
    """A face box [x1, y1, x2, y2] in upright original-image pixels, to 0.1 pixel."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "[x1, y1, x2, y2] in pixels of the upright original")
        super().__init__(child=serializers.FloatField(), min_length=4, max_length=4, **kwargs)

    def to_representation(self, data: Any) -> list[float]:
        return [round(float(v), 1) for v in data]


class RoundedFloatField(serializers.FloatField):
    def __init__(self, *, places: int, **kwargs: Any) -> None:
        self.places = places
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return round(float(value), self.places)


@dataclass(frozen=True)
class PhotoFaces:
    photo: Photo
    faces: list[Face]


class PhotoFacesOutputSerializer(serializers.Serializer[PhotoFaces]):
    photo_id = serializers.IntegerField(source="photo.pk")
    width = serializers.IntegerField(source="photo.width")
    height = serializers.IntegerField(source="photo.height")
    index_status = serializers.ChoiceField(choices=Photo.IndexStatus.choices, source="photo.index_status")
    results = FaceOutputSerializer(source="faces", many=True)


@dataclass(frozen=True)
class QueryFace:
    index: int
    face: DetectedFace
    used: bool


class SearchQueryFaceSerializer(serializers.Serializer[Any]):  # QueryFace
    index = serializers.IntegerField()
    box = BoxField(source="face.box")
    score = RoundedFloatField(places=4, source="face.score")
    used = serializers.BooleanField(help_text="The face the search used.")


class SearchHitFaceSerializer(serializers.Serializer[Face]):
    id = serializers.IntegerField()
    box = BoxField()
    person = PersonRefField(help_text="The person this face belongs to, if any.")


class SearchHitSerializer(serializers.Serializer[Any]):
    photo = PhotoOutputSerializer()
    similarity = RoundedFloatField(places=4, help_text="Cosine similarity of the best face, -1..1.")
    distance = RoundedFloatField(places=4, help_text="Euclidean distance of the normalised embeddings.")
    face = SearchHitFaceSerializer()


class StrictnessThresholdsSerializer(serializers.Serializer[Any]):
    """The similarity each strictness stands for (loose < default < strict)."""

    loose = serializers.FloatField()
    default = serializers.FloatField()
    strict = serializers.FloatField()


SEARCH_QUERY_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": (
        "The kept query photo (search it again with `query_id`) with its preview, or null for a "
        "`face_id` search."
    ),
    "properties": {
        "id": {"type": "string"},
        "preview_url": {"type": "string", "format": "uri"},
        "width": {
            "type": "integer",
            "description": "Width in pixels of the upright query image the face boxes refer to "
            "(a large JPEG is decoded at a reduced scale, SEARCH_QUERY_DECODE_SIDE).",
        },
        "height": {"type": "integer"},
        "expires_at": {"type": "string", "format": "date-time"},
    },
    "required": ["id", "preview_url", "width", "height", "expires_at"],
}


def search_query_preview_url(query: SearchQuery, request: Any | None) -> str:
    url = reverse("recognition:search_query_preview", kwargs={"query_id": query.pk})
    return str(request.build_absolute_uri(url)) if request is not None else url


@extend_schema_field(SEARCH_QUERY_SCHEMA)
class SearchQueryField(serializers.Field):  # type: ignore[type-arg]
    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: SearchQuery) -> dict[str, Any]:
        return {
            "id": value.pk,
            "preview_url": search_query_preview_url(value, self.context.get("request")),
            "width": value.width,
            "height": value.height,
            "expires_at": serializers.DateTimeField().to_representation(value.expires_at),
        }


class SearchOutputSerializer(serializers.Serializer[SearchResult]):
    model = serializers.CharField(source="model_key")
    threshold = serializers.FloatField(help_text="The minimum similarity of these results.")
    thresholds = StrictnessThresholdsSerializer()
    query = SearchQueryField(allow_null=True)
    query_faces = serializers.SerializerMethodField()
    count = serializers.SerializerMethodField()
    results = SearchHitSerializer(source="hits", many=True)

    @extend_schema_field(SearchQueryFaceSerializer(many=True))
    def get_query_faces(self, result: SearchResult) -> Any:
        faces = [
            QueryFace(index=i, face=face, used=i == result.used_face)
            for i, face in enumerate(result.query_faces)
        ]
        return SearchQueryFaceSerializer(faces, many=True).data

    def get_count(self, result: SearchResult) -> int:
        return len(result.hits)


class SearchUnprocessableSerializer(ErrorSerializer):
    query_faces = SearchQueryFaceSerializer(
        many=True, required=False, help_text="Present (empty) when the query photo shows no face."
    )


class PhotoFacesApi(APIView):
    """The faces found in one of your photos (boxes in upright original-image pixels)."""

    @extend_schema(responses=PhotoFacesOutputSerializer)
    def get(self, request: Request, photo_id: int) -> Response:
        model_key = active_model_key()  # the stored faces need no loaded model
        photo, faces = photo_faces_for_user(user=request.user, photo_id=photo_id, model_key=model_key)
        output = PhotoFacesOutputSerializer(
            PhotoFaces(photo=photo, faces=faces), context={"request": request}
        )
        return Response(output.data)


class SearchOptionsSerializer(serializers.Serializer[Any]):
    strictness = serializers.ChoiceField(
        choices=STRICTNESS,
        default="default",
        help_text="How sure a match must be, in words (see `thresholds` in the answer).",
    )
    threshold = serializers.FloatField(
        required=False,
        min_value=-1.0,
        max_value=1.0,
        help_text="Minimum cosine similarity; overrides `strictness`.",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)


def _face_index_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=(
            "Which face of the photo (`image` or `query_id`) to use (default: the one the photo "
            "is about: large, central, not cut by the frame)."
        ),
    )


def _face_id_field(*, required: bool = True) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=required, min_value=1, max_value=MAX_DB_ID, help_text="One of your indexed faces."
    )


def _query_id_field(*, required: bool = True) -> serializers.CharField:
    return serializers.CharField(
        required=required,
        max_length=32,
        help_text="A query photo you searched with before (`query.id` of that answer).",
    )


class SearchImageInputSerializer(SearchOptionsSerializer):
    image = serializers.FileField(help_text="A photo showing the person to find.")
    face_index = _face_index_field()


class SearchFaceInputSerializer(SearchOptionsSerializer):
    face_id = _face_id_field()


class SearchQueryInputSerializer(SearchOptionsSerializer):
    query_id = _query_id_field()
    face_index = _face_index_field()


class SearchJsonInputSerializer(SearchOptionsSerializer):
    """Schema only: a JSON search names exactly one of `face_id` or `query_id`."""

    face_id = _face_id_field(required=False)
    query_id = _query_id_field(required=False)
    face_index = _face_index_field()


def _search_input(data: Any) -> tuple[str, dict[str, Any]]:
    """Validate a query: a photo (`image`, multipart), a kept query photo (`query_id`) or one of
    the user's faces (`face_id`). Answers which kind and the validated data."""
    kinds = [kind for kind in ("image", "query_id", "face_id") if kind in data]
    if len(kinds) != 1:
        message = _("Send exactly one of `image` (a photo), `query_id` or `face_id`.")
        raise serializers.ValidationError({"non_field_errors": [message]})
    kind = kinds[0]
    if kind == "face_id" and "face_index" in data:
        message = _("`face_index` only applies to an `image` or a `query_id`.")
        raise serializers.ValidationError({"non_field_errors": [message]})
    serializer_class = {
        "image": SearchImageInputSerializer,
        "query_id": SearchQueryInputSerializer,
        "face_id": SearchFaceInputSerializer,
    }[kind]
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return kind, dict(serializer.validated_data)


class SearchRateThrottle(UserRateThrottle):
    """Searches per user (each runs face detection on up to MAX_IMAGE_PIXELS pixels)."""

    scope = "search"

    def get_rate(self) -> str | None:
        # Read per request rather than frozen at import, like every other setting.
        return throttle_rate(self.scope)


class SearchApi(APIView):
    """Search your photos by face: upload a photo of someone (multipart, `image`), search a photo
    you sent before again (JSON, `query_id`, e.g. with another `face_index`), or name one of your
    faces (JSON, `face_id`). A photo is kept for SEARCH_QUERY_TTL_HOURS as `query` (a preview,
    its faces and their embeddings; never the original). Searches are limited per user (429 with
    Retry-After)."""

    parser_classes = (MultiPartParser, BoundedJSONParser)
    throttle_classes = (SearchRateThrottle,)

    @extend_schema(
        request={
            "multipart/form-data": SearchImageInputSerializer,
            "application/json": SearchJsonInputSerializer,
        },
        responses={
            200: SearchOutputSerializer,
            404: OpenApiResponse(
                ErrorSerializer, description="No such face or query photo (not yours, or expired)."
            ),
            422: OpenApiResponse(
                SearchUnprocessableSerializer,
                description="No face found in the query photo, or the face cannot be searched.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        refuse_oversized_body(request)
        kind, data = _search_input(request.data)
        user = signed_in_user(request)
        threshold, strictness, limit = data.get("threshold"), data["strictness"], data["limit"]
        options = {"threshold": threshold, "strictness": strictness, "limit": limit}
        # What the user asks about is found (404) or read (400) before any model work.
        result: SearchResult
        if kind == "face_id":
            face = face_get_for_user(user=user, face_id=data["face_id"])
            result = search_by_face(user=user, face=face, pipeline=get_pipeline(), **options)
        elif kind == "query_id":
            query = search_query_get_for_user(user=user, query_id=data["query_id"])
            result = search_by_query(
                user=user,
                query=query,
                pipeline=get_pipeline(),
                face_index=data.get("face_index"),
                **options,
            )
        else:
            image = open_upload_upright(data["image"], draft_min_side=settings.SEARCH_QUERY_DECODE_SIDE)
            result = search_by_image(
                user=user,
                image=image,
                pipeline=get_pipeline(),
                face_index=data.get("face_index"),
                **options,
            )
        return Response(SearchOutputSerializer(result, context={"request": request}).data)
