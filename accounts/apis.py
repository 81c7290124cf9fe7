from typing import Any, NoReturn

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import signed_in_user
from accounts.services import token_obtain, user_tokens_revoke
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
