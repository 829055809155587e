from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .permissions import request_scopes


class WhoAmIOutput(serializers.Serializer):
    username = serializers.CharField()
    kind = serializers.ChoiceField(choices=["integrator", "supplier_user", "staff"])
    client = serializers.CharField(allow_null=True, help_text="The integrator's name.")
    supplier_id = serializers.IntegerField(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField())


class WhoAmIApi(APIView):
    """Who the API takes the caller for, and what it may do."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WhoAmIOutput, operation_id="whoami", summary="Who the key belongs to")
    def get(self, request: Request) -> Response:
        user = request.user
        client = getattr(user, "api_client", None)
        membership = getattr(user, "supplier_membership", None)
        kind = "integrator" if client else "supplier_user" if membership else "staff"
        data = {
            "username": user.get_username(),
            "kind": kind,
            "client": client.name if client else None,
            "supplier_id": membership.supplier_id if membership else None,
            "scopes": sorted(request_scopes(request)),
        }
        return Response(WhoAmIOutput(data).data)
