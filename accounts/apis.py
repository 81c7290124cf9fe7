from typing import Any, NoReturn

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.preferences import is_time_zone
from accounts.requests import signed_in_user
from accounts.services import (
    ConsentChange,
    token_obtain,
    user_delete,
    user_face_data_delete,
    user_face_recognition_set,
    user_preferences_update,
    user_tokens_revoke,
)
from accounts.throttling import LoginAttemptThrottle, login_succeeded, posted_username
from recognition.services import FaceDataReport


class TokenObtainApi(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <t>`).

    Failed attempts are limited per client address and per username (429 with Retry-After).
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (LoginAttemptThrottle,)

    class TokenOutputSerializer(serializers.Serializer[Token]):
        token = serializers.CharField(source="key")

    def throttled(self, request: Request, wait: Any) -> NoReturn:
        raise Throttled(wait=wait, detail=_("Too many failed login attempts."))

    @extend_schema(
        request=AuthTokenSerializer,
        responses={200: TokenOutputSerializer},  # errors (400, 429) are added by the schema class
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        login_succeeded(request, username=posted_username(request))
        token = token_obtain(user=serializer.validated_data["user"])
        return Response(self.TokenOutputSerializer(token).data)


class TokenRevokeApi(APIView):
    """Revoke your API token: it stops working at once (401). Log in again for a new one."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        user_tokens_revoke(user=signed_in_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FaceDataReportSerializer(serializers.Serializer[FaceDataReport]):
    faces = serializers.IntegerField(help_text="Faces deleted (with their embeddings).")
    persons = serializers.IntegerField(help_text="People deleted, with their names.")
    rejections = serializers.IntegerField(help_text='"Not this person" corrections deleted.')
    search_queries = serializers.IntegerField(help_text="Kept search photos deleted.")


class AccountApi(APIView):
    """Your account's settings: language, time zone and face recognition.

    Turning `face_recognition` off stops indexing at once and deletes every face, person,
    rejection and kept search photo of yours (`face_data_deleted` says how many); turning it on
    queues every photo for face detection (`photos_queued`)."""

    permission_classes = (IsAuthenticated,)

    class InputSerializer(serializers.Serializer[Any]):
        language = serializers.ChoiceField(
            choices=["", *(code for code, _name in settings.LANGUAGES)],
            required=False,
            allow_blank=True,
            help_text='"" follows the browser (Accept-Language).',
        )
        time_zone = serializers.CharField(required=False, max_length=64, help_text="An IANA time zone name.")
        face_recognition = serializers.BooleanField(required=False)

        def validate_time_zone(self, value: str) -> str:
            if not is_time_zone(value):
                raise serializers.ValidationError(_("Unknown time zone."))
            return value

    class OutputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField()
        email = serializers.EmailField()
        language = serializers.CharField()
        time_zone = serializers.CharField()
        face_recognition = serializers.BooleanField()

    class PatchOutputSerializer(OutputSerializer):
        face_data_deleted = FaceDataReportSerializer(allow_null=True)
        photos_queued = serializers.IntegerField()

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(signed_in_user(request)).data)

    @extend_schema(request=InputSerializer, responses={200: PatchOutputSerializer})
    def patch(self, request: Request) -> Response:
        user = signed_in_user(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "language" in data or "time_zone" in data:
            user_preferences_update(
                user=user,
                language=data.get("language", user.language),
                time_zone=data.get("time_zone", user.time_zone),
            )
        change = ConsentChange(enabled=user.face_recognition)
        if "face_recognition" in data:
            change = user_face_recognition_set(user=user, enabled=data["face_recognition"])
        user.refresh_from_db()
        output = {
            **self.OutputSerializer(user).data,
            "face_data_deleted": FaceDataReportSerializer(change.deleted).data if change.deleted else None,
            "photos_queued": change.queued,
        }
        return Response(self.PatchOutputSerializer(output).data)


class FaceDataApi(APIView):
    """Delete all your face data (faces, people and their names, rejections, kept search photos),
    keeping face recognition as it is: when on, your photos are indexed again from scratch."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={200: FaceDataReportSerializer})
    def delete(self, request: Request) -> Response:
        report = user_face_data_delete(user=signed_in_user(request))
        return Response(FaceDataReportSerializer(report).data)


class AccountDeleteApi(APIView):
    """Delete your account with everything in it (photos and their stored files, albums, faces,
    people, tokens; every session ends). Needs your password."""

    permission_classes = (IsAuthenticated,)

    class InputSerializer(serializers.Serializer[Any]):
        password = serializers.CharField(trim_whitespace=False, max_length=4096)

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not user.check_password(serializer.validated_data["password"]):
            raise ValidationError({"password": [_("That is not your password.")]})
        user_delete(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)
