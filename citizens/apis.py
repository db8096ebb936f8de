"""API endpoints of the citizens app (mounted under /api/v1/)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from citizens import selectors
from citizens.models import AdministrativeUnit, User


class AdministrativeUnitSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True)

    class Meta:
        model = AdministrativeUnit
        fields = ["era", "level", "code", "name", "name_en", "unit_type", "parent_code"]


@extend_schema(
    tags=["administrative units"],
    summary="Vietnam's administrative units",
    parameters=[
        OpenApiParameter(
            "era", OpenApiTypes.STR, enum=["2025", "pre2025"], description="Default 2025"
        ),
        OpenApiParameter("level", OpenApiTypes.STR, enum=["province", "district", "commune"]),
        OpenApiParameter("parent", OpenApiTypes.STR, description="Code of the parent unit"),
        OpenApiParameter("q", OpenApiTypes.STR, description="Name, diacritics optional"),
    ],
)
class AdministrativeUnitList(generics.ListAPIView):
    serializer_class = AdministrativeUnitSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        params = self.request.query_params
        return selectors.administrative_units(
            era=params.get("era") or AdministrativeUnit.Era.CURRENT,
            level=params.get("level"),
            parent_code=params.get("parent"),
            query=params.get("q", ""),
        )


class MembershipSerializer(serializers.Serializer):
    agency_code = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    role = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(source="active_memberships", many=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "phone", "memberships"]


class MeView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(tags=["accounts"], summary="The signed-in account", responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


urlpatterns = [
    path("administrative-units/", AdministrativeUnitList.as_view(), name="administrative-units"),
    path("me/", MeView.as_view(), name="me"),
]
