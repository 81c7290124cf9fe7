"""People API: one APIView per resource, explicit input/output serializers, owner-scoped lookups
(another user's person or face is 404, like everything else)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import signed_in_user
from gallery.serializers import PhotoOutputSerializer
from memory_studio.api import ErrorSerializer, PaginatedListMixin
from people import selectors, services
from people.models import NAME_MAX
from people.serializers import FaceOutputSerializer, PersonOutputSerializer
from people.services import UNSET
from recognition.runtime import active_model_key

if TYPE_CHECKING:
    from recognition.models import Face


def _person(request: Request, person_id: Any) -> Any:
    return selectors.person_get_for_user(user=request.user, person_id=person_id, model_key=active_model_key())


def _person_output(request: Request, person_id: int) -> dict[str, Any]:
    person = _person(request, person_id)
    return dict(PersonOutputSerializer(person, context={"request": request}).data)


class FaceIdsInputSerializer(serializers.Serializer[Any]):
    faces = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000, help_text="Face ids."
    )


def _posted_faces(
    request: Request, serializer_class: type[FaceIdsInputSerializer] = FaceIdsInputSerializer
) -> tuple[dict[str, Any], list[Face]]:
    """The validated body and the user's faces it names (404 if any is not theirs)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    return data, selectors.faces_for_user_by_ids(user=request.user, face_ids=data["faces"])


def _bool(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in {"1", "true", "yes"}:
        return True
    if lowered in {"0", "false", "no"}:
        return False
    raise serializers.ValidationError(
        {"detail": _("“%(value)s” is not a boolean; use 1 or 0.") % {"value": value}}
    )


class PersonListApi(PaginatedListMixin, APIView):
    """Your persons, largest first (`?named=1|0`, `?hidden=1|0|all`, `?q=` over names), or a new
    person made of chosen faces."""

    class PersonCreateInputSerializer(FaceIdsInputSerializer):
        name = serializers.CharField(max_length=NAME_MAX, required=False, allow_blank=True, default="")

    @extend_schema(
        parameters=[
            OpenApiParameter("named", bool, description="Only named (1) or unnamed (0) persons."),
            OpenApiParameter(
                "hidden", str, description="1: only hidden persons; all: both; default: visible."
            ),
            OpenApiParameter("q", str, description="Part of a name."),
        ],
        responses=PersonOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        raw_hidden = request.query_params.get("hidden")
        hidden = None if raw_hidden == "all" else (_bool(raw_hidden) or False)
        persons = selectors.person_list_for_user(
            user=request.user,
            model_key=active_model_key(),
            hidden=hidden,
            named=_bool(request.query_params.get("named")),
            q=request.query_params.get("q", "")[:NAME_MAX],
        )
        return self.paginated_response(request, persons, PersonOutputSerializer)

    @extend_schema(
        request=PersonCreateInputSerializer,
        responses={
            201: PersonOutputSerializer,
            404: OpenApiResponse(ErrorSerializer, description="A face that is not yours, or no such face."),
        },
    )
    def post(self, request: Request) -> Response:
        data, faces = _posted_faces(request, self.PersonCreateInputSerializer)
        person = services.person_create(owner=signed_in_user(request), faces=faces, name=data["name"])
        return Response(_person_output(request, person.pk), status=status.HTTP_201_CREATED)


class PersonDetailApi(APIView):
    """One of your persons: rename, hide, set the birth date or pin a cover face (null: automatic)."""

    class PersonUpdateInputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=NAME_MAX, required=False, allow_blank=True)
        hidden = serializers.BooleanField(required=False)
        birth_date = serializers.DateField(required=False, allow_null=True)
        cover_face = serializers.IntegerField(required=False, allow_null=True, min_value=1)

    @extend_schema(responses=PersonOutputSerializer)
    def get(self, request: Request, person_id: int) -> Response:
        return Response(_person_output(request, person_id))

    @extend_schema(request=PersonUpdateInputSerializer, responses=PersonOutputSerializer)
    def patch(self, request: Request, person_id: int) -> Response:
        person = _person(request, person_id)
        serializer = self.PersonUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cover: Any = UNSET
        if "cover_face" in data:
            cover = (
                None
                if data["cover_face"] is None
                else selectors.faces_for_user_by_ids(user=request.user, face_ids=[data["cover_face"]])[0]
            )
        services.person_update(
            person=person,
            name=data.get("name", UNSET),
            hidden=data.get("hidden", UNSET),
            birth_date=data.get("birth_date", UNSET),
            cover_face=cover,
        )
        return Response(_person_output(request, person.pk))


class PersonFacesApi(PaginatedListMixin, APIView):
    """A person's faces (of the active model), newest photo first."""

    @extend_schema(responses=FaceOutputSerializer(many=True))
    def get(self, request: Request, person_id: int) -> Response:
        person = _person(request, person_id)
        faces = selectors.person_faces(person=person, model_key=active_model_key())
        return self.paginated_response(request, faces, FaceOutputSerializer)


class PersonPhotosApi(PaginatedListMixin, APIView):
    """The photos showing a person, newest taken first."""

    @extend_schema(responses=PhotoOutputSerializer(many=True))
    def get(self, request: Request, person_id: int) -> Response:
        person = _person(request, person_id)
        photos = selectors.person_photos(person=person, model_key=active_model_key())
        return self.paginated_response(request, photos, PhotoOutputSerializer)


class PersonMergeApi(APIView):
    """Merge this person into another (`into`, kept); answers the kept person. Undo with
    `POST /api/people/merges/undo/`."""

    class PersonMergeInputSerializer(serializers.Serializer[Any]):
        into = serializers.IntegerField(min_value=1)

    @extend_schema(request=PersonMergeInputSerializer, responses=PersonOutputSerializer)
    def post(self, request: Request, person_id: int) -> Response:
        source = _person(request, person_id)
        serializer = self.PersonMergeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = _person(request, serializer.validated_data["into"])
        kept = services.person_merge(source=source, target=target)
        return Response(_person_output(request, kept.pk))


class PersonMergeUndoApi(APIView):
    """Undo your latest merge: answers the person that comes back."""

    @extend_schema(request=None, responses={200: PersonOutputSerializer})
    def post(self, request: Request) -> Response:
        merge = services.person_merge_undo(owner=signed_in_user(request))
        return Response(_person_output(request, merge.source_id))


class PersonRejectFacesApi(APIView):
    """ "Not this person": the faces leave the person (or lose it as a suggestion) for good."""

    @extend_schema(request=FaceIdsInputSerializer, responses=PersonOutputSerializer)
    def post(self, request: Request, person_id: int) -> Response:
        person = _person(request, person_id)
        _, faces = _posted_faces(request)
        services.faces_reject(person=person, faces=faces)
        return Response(_person_output(request, person.pk))


class PersonConfirmFacesApi(APIView):
    """ "Yes, this is them": the faces become confirmed members of the person (accepting
    suggestions)."""

    @extend_schema(request=FaceIdsInputSerializer, responses=PersonOutputSerializer)
    def post(self, request: Request, person_id: int) -> Response:
        person = _person(request, person_id)
        _, faces = _posted_faces(request)
        services.faces_confirm(person=person, faces=faces)
        return Response(_person_output(request, person.pk))


class FaceListApi(PaginatedListMixin, APIView):
    """Your faces (active model): `?person=<id>` or `?person=none` (unassigned); `?suggested=1` keeps
    the faces with a suggested person, most similar first (the review queue)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("person", str, description="A person id, or `none` for unassigned faces."),
            OpenApiParameter("suggested", bool, description="Only faces with a suggestion, best first."),
        ],
        responses=FaceOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        model_key = active_model_key()
        raw = request.query_params.get("person", "")
        person = None
        if raw and raw != "none":
            person = selectors.person_get_for_user(user=request.user, person_id=raw, model_key=model_key)
        faces = selectors.face_list_for_user(
            user=request.user,
            model_key=model_key,
            person=person,
            unassigned=raw == "none",
            suggested=bool(_bool(request.query_params.get("suggested"))),
        )
        return self.paginated_response(request, faces, FaceOutputSerializer)


class FaceDetailApi(APIView):
    """One of your faces; PATCH `{"person": <id>}` moves it there (your decision), `{"person": null}`
    takes it out of its person and remembers that it is not them."""

    class FaceUpdateInputSerializer(serializers.Serializer[Any]):
        person = serializers.IntegerField(allow_null=True, min_value=1)

    @extend_schema(responses=FaceOutputSerializer)
    def get(self, request: Request, face_id: int) -> Response:
        (face,) = selectors.faces_for_user_by_ids(user=request.user, face_ids=[face_id])
        return Response(FaceOutputSerializer(face, context={"request": request}).data)

    @extend_schema(request=FaceUpdateInputSerializer, responses=FaceOutputSerializer)
    def patch(self, request: Request, face_id: int) -> Response:
        (face,) = selectors.faces_for_user_by_ids(user=request.user, face_ids=[face_id])
        serializer = self.FaceUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw = serializer.validated_data["person"]
        person = None if raw is None else _person(request, raw)
        services.faces_move(owner=signed_in_user(request), faces=[face], person=person)
        (face,) = selectors.faces_for_user_by_ids(user=request.user, face_ids=[face_id])
        return Response(FaceOutputSerializer(face, context={"request": request}).data)
