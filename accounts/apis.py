from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class TokenObtainApi(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <t>`)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    class TokenOutputSerializer(serializers.Serializer[Token]):
        token = serializers.CharField(source="key")

    @extend_schema(request=AuthTokenSerializer, responses=TokenOutputSerializer)
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response(self.TokenOutputSerializer(token).data)
