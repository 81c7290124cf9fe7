from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from gallery.apis import refuse_oversized_body
from gallery.images import InvalidImage, open_upload_upright
from gallery.serializers import PhotoOutputSerializer
from gallery.storage import StorageUnavailable
from memory_studio.parsers import BoundedJSONParser
from memory_studio.throttling import throttle_rate
from people.serializers import FaceOutputSerializer, PersonRefSerializer
from recognition.runtime import RecognitionUnavailableError, active_model_key, get_pipeline
from recognition.search import NoFaceInQueryError, SearchError, SearchResult, search_by_face, search_by_image
from recognition.selectors import face_get_for_user, photo_faces_for_user


def _box(box: tuple[float, float, float, float]) -> list[float]:
    return [round(float(v), 1) for v in box]


class SearchQueryFaceSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField()
    box = serializers.ListField(child=serializers.FloatField(), help_text="[x1, y1, x2, y2] in pixels")
    score = serializers.FloatField()
    used = serializers.BooleanField(help_text="The face the search used.")


class SearchHitFaceSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    box = serializers.ListField(child=serializers.FloatField(), help_text="[x1, y1, x2, y2] in pixels")
    person = PersonRefSerializer(allow_null=True, help_text="The person this face belongs to, if any.")


class SearchHitSerializer(serializers.Serializer[Any]):
    photo = PhotoOutputSerializer()
    similarity = serializers.FloatField(help_text="Cosine similarity of the best face, -1..1.")
    distance = serializers.FloatField(help_text="Euclidean distance of the normalised embeddings.")
    face = SearchHitFaceSerializer()


class PhotoFacesOutputSerializer(serializers.Serializer[Any]):
    photo_id = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    index_status = serializers.CharField()
    results = FaceOutputSerializer(many=True)


class PhotoFacesApi(APIView):
    """The faces found in one of your photos (boxes in upright original-image pixels)."""

    @extend_schema(responses=PhotoFacesOutputSerializer)
    def get(self, request: Request, photo_id: int) -> Response:
        try:
            model_key = active_model_key()  # the stored faces need no loaded model
        except RecognitionUnavailableError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        photo, faces = photo_faces_for_user(user=request.user, photo_id=photo_id, model_key=model_key)
        return Response(
            {
                "photo_id": photo.pk,
                "width": photo.width,
                "height": photo.height,
                "index_status": photo.index_status,
                "results": [FaceOutputSerializer(face, context={"request": request}).data for face in faces],
            }
        )


class SearchRateThrottle(UserRateThrottle):
    """Searches per user (each runs face detection on up to MAX_IMAGE_PIXELS pixels)."""

    scope = "search"

    def get_rate(self) -> str | None:
        # Read per request rather than frozen at import, like every other setting.
        return throttle_rate(self.scope)


class SearchApi(APIView):
    """Search your photos by face: upload a photo of someone (`image`) or name one of your faces
    (`face_id`). Searches are limited per user (429 with Retry-After)."""

    parser_classes = (MultiPartParser, FormParser, BoundedJSONParser)
    throttle_classes = (SearchRateThrottle,)

    class SearchInputSerializer(serializers.Serializer[Any]):
        image = serializers.FileField(required=False, help_text="A photo showing the person to find.")
        face_id = serializers.IntegerField(
            required=False, min_value=1, help_text="One of your indexed faces."
        )
        face_index = serializers.IntegerField(
            required=False,
            min_value=0,
            help_text="Which face of the query photo to use (default: the largest).",
        )
        threshold = serializers.FloatField(
            required=False,
            min_value=-1.0,
            max_value=1.0,
            help_text="Minimum cosine similarity (default: model's).",
        )
        limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("image" in attrs) == ("face_id" in attrs):
                raise serializers.ValidationError("Send exactly one of `image` (a photo) or `face_id`.")
            if "face_id" in attrs and "face_index" in attrs:
                raise serializers.ValidationError("`face_index` only applies to an uploaded `image`.")
            return attrs

    class SearchOutputSerializer(serializers.Serializer[Any]):
        model = serializers.CharField()
        threshold = serializers.FloatField()
        query_faces = SearchQueryFaceSerializer(many=True)
        count = serializers.IntegerField()
        results = SearchHitSerializer(many=True)

    @extend_schema(
        request={"multipart/form-data": SearchInputSerializer, "application/json": SearchInputSerializer},
        responses={
            200: SearchOutputSerializer,
            400: OpenApiResponse(description="Bad input, e.g. not an image, or a file over the limit."),
            404: OpenApiResponse(description="No such face."),
            422: OpenApiResponse(
                description="No face found in the query photo, or the face cannot be searched."
            ),
            429: OpenApiResponse(description="Too many searches; see Retry-After."),
        },
    )
    def post(self, request: Request) -> Response:
        refuse_oversized_body(request)
        serializer = self.SearchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            pipeline = get_pipeline()
            if "face_id" in data:
                face = face_get_for_user(user=request.user, face_id=data["face_id"])
                result = search_by_face(
                    user=request.user,
                    face=face,
                    pipeline=pipeline,
                    threshold=data.get("threshold"),
                    limit=data["limit"],
                )
            else:
                image = open_upload_upright(data["image"])
                result = search_by_image(
                    user=request.user,
                    image=image,
                    pipeline=pipeline,
                    face_index=data.get("face_index"),
                    threshold=data.get("threshold"),
                    limit=data["limit"],
                )
        except InvalidImage as exc:
            return Response({"image": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        except (StorageUnavailable, RecognitionUnavailableError) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        except NoFaceInQueryError as exc:
            return Response(
                {"detail": str(exc), "query_faces": []}, status=status.HTTP_422_UNPROCESSABLE_ENTITY
            )
        except SearchError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        return Response(self._output(request, result))

    def _output(self, request: Request, result: SearchResult) -> dict[str, Any]:
        context = {"request": request}
        return {
            "model": result.model_key,
            "threshold": result.threshold,
            "query_faces": [
                {
                    "index": i,
                    "box": _box(f.box),
                    "score": round(float(f.score), 4),
                    "used": i == result.used_face,
                }
                for i, f in enumerate(result.query_faces)
            ],
            "count": len(result.hits),
            "results": [
                {
                    "photo": PhotoOutputSerializer(hit.photo, context=context).data,
                    "similarity": round(hit.similarity, 4),
                    "distance": round(hit.distance, 4),
                    "face": {
                        "id": hit.face.pk,
                        "box": _box(hit.face.box),
                        "person": (
                            {"id": hit.face.person.pk, "name": hit.face.person.name}
                            if hit.face.person is not None
                            else None
                        ),
                    },
                }
                for hit in result.hits
            ],
        }
