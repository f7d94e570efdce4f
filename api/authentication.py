"""Token authentication for API clients: `Authorization: Bearer aj_…`."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from . import clients
from .models import ApiClient

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    """request.user is the client's service account, request.auth the ApiClient."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("认证头格式应为：Authorization: Bearer <令牌>")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("令牌无效") from None
        client = clients.find_client(token)
        if client is None:
            raise exceptions.AuthenticationFailed("令牌无效")
        # The call log names the client even when it is refused below.
        request._request.api_client = client
        if client.is_revoked:
            raise exceptions.AuthenticationFailed("令牌已被吊销")
        return client.user, client

    def authenticate_header(self, request) -> str:
        # A 401 (with this header) rather than a 403 tells the caller to fix its credentials.
        return 'Bearer realm="api"'


class IsApiClient(permissions.BasePermission):
    message = "请提供有效的接口令牌"

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiClient)


class MayCreateHazards(permissions.BasePermission):
    message = "该客户端未获准报送隐患"

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiClient) and request.auth.may_create_hazards


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "接口令牌"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "管理员在管理后台“接口客户端”中创建，格式 aj_xxxxxxxxxxxx_…",
        }
