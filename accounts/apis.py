from typing import Any, NoReturn

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.throttling import LoginAttemptThrottle, login_succeeded, posted_username


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
        responses={
            200: TokenOutputSerializer,
            400: OpenApiResponse(description="Wrong username or password."),
            429: OpenApiResponse(description="Too many failed attempts; see Retry-After."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        login_succeeded(request, username=posted_username(request))
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response(self.TokenOutputSerializer(token).data)
