"""/api/v1/: units, inspections, hazards (with their events), circulated bulletins.

Every queryset starts from the model's `visible_to(request.user)` (the client's service
account), exactly as the pages do: an object outside the client's scope answers 404.
Lists are change feeds (pagination.ChangeFeedPagination), filterable by `updated_since`.
"""

from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from inspections import workflow
from inspections.bulletins import pdf_filename
from inspections.models import Bulletin, Hazard, HazardEvent, HazardPhoto, Inspection
from units.models import Unit

from .authentication import MayCreateHazards
from .serializers import (
    BulletinSerializer,
    HazardCreateSerializer,
    HazardSerializer,
    InspectionSerializer,
    UnitSerializer,
)

UPDATED_SINCE_HELP = (
    "只返回此时刻之后修改过的记录（ISO 8601，如 2026-11-01T08:00:00+08:00）；"
    "首次同步用它缩小范围，之后请用 cursor 续取"
)


def _updated_since() -> filters.IsoDateTimeFilter:
    return filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text=UPDATED_SINCE_HELP
    )


class UnitFilter(filters.FilterSet):
    updated_since = _updated_since()

    class Meta:
        model = Unit
        fields = ["updated_since", "area", "category", "lead_department"]


class InspectionFilter(filters.FilterSet):
    updated_since = _updated_since()

    class Meta:
        model = Inspection
        fields = ["updated_since", "unit", "kind"]


class HazardFilter(filters.FilterSet):
    updated_since = _updated_since()

    class Meta:
        model = Hazard
        fields = ["updated_since", "unit", "status", "source", "level"]


class BulletinFilter(filters.FilterSet):
    updated_since = filters.IsoDateTimeFilter(
        field_name="circulated_at", lookup_expr="gte", help_text="只返回此时刻之后印发的通报"
    )

    class Meta:
        model = Bulletin
        fields = ["updated_since"]


class SyncViewSet(viewsets.ReadOnlyModelViewSet):
    """Subclasses set `model` and implement `scoped_queryset(user)` from `visible_to(user)`."""

    filter_backends = [filters.DjangoFilterBackend]
    model = None

    def scoped_queryset(self, user):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()  # schema generation: no request user
        return self.scoped_queryset(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


@extend_schema_view(
    list=extend_schema(summary="单位（增量同步）", tags=["单位"]),
    retrieve=extend_schema(summary="单位详情", tags=["单位"]),
)
class UnitViewSet(SyncViewSet):
    model = Unit
    serializer_class = UnitSerializer
    filterset_class = UnitFilter

    def scoped_queryset(self, user):
        return Unit.objects.visible_to(user).select_related("category", "area", "lead_department")


@extend_schema_view(
    list=extend_schema(summary="检查记录（增量同步，仅已提交）", tags=["检查记录"]),
    retrieve=extend_schema(summary="检查记录详情", tags=["检查记录"]),
)
class InspectionViewSet(SyncViewSet):
    model = Inspection
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter

    def scoped_queryset(self, user):
        hazards = Hazard.objects.visible_to(user).only("id", "inspection_id").order_by("pk")
        return (
            Inspection.objects.visible_to(user)
            .filter(status=Inspection.Status.SUBMITTED)
            .select_related("unit", "department", "campaign")
            .prefetch_related(
                "inspectors", Prefetch("hazards", queryset=hazards, to_attr="visible_hazards")
            )
        )


def _hazard_queryset(user):
    return (
        Hazard.objects.visible_to(user)
        .select_related("unit", "lead_department")
        .prefetch_related(
            Prefetch("events", queryset=_events()),
            Prefetch("photos", queryset=HazardPhoto.objects.order_by("pk")),
        )
    )


def _events():
    return HazardEvent.objects.select_related("actor").order_by("created_at", "pk")


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


@extend_schema_view(
    list=extend_schema(summary="隐患及流转记录（增量同步）", tags=["隐患"]),
    retrieve=extend_schema(summary="隐患详情及流转记录", tags=["隐患"]),
)
class HazardViewSet(mixins.CreateModelMixin, SyncViewSet):
    model = Hazard
    serializer_class = HazardSerializer
    filterset_class = HazardFilter

    def scoped_queryset(self, user):
        return _hazard_queryset(user)

    def get_permissions(self):
        permissions = super().get_permissions()
        if self.action == "create":
            permissions.append(MayCreateHazards())
        return permissions

    @extend_schema(
        summary="报送隐患（按外部编号幂等）",
        description=(
            "登记为“已登记”，由安委办分办。同一客户端重复报送同一 external_id 返回第一次登记的隐患"
            "（200）；内容不同则返回 409。"
        ),
        tags=["隐患"],
        request=HazardCreateSerializer,
        responses={
            201: HazardSerializer,
            200: OpenApiResponse(HazardSerializer, description="该外部编号已登记，返回原隐患"),
            409: OpenApiResponse(description="该外部编号已用于内容不同的另一条隐患"),
        },
    )
    def create(self, request, *args, **kwargs):
        incoming = HazardCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        data.pop("unit_credit_code", None)
        try:
            hazard, created = workflow.register_reported_hazard(
                actor=request.user, external_source=request.auth.code, **data
            )
        except workflow.WorkflowError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        if not created and _differs(hazard, data):
            raise Conflict(
                f"外部编号 {data['external_id']} 已用于另一条内容不同的隐患 {hazard.number}"
            )
        hazard = _hazard_queryset(request.user).filter(pk=hazard.pk).first()
        if hazard is None:
            # Registered, but since moved out of this client's scope (e.g. transferred).
            return Response({"detail": "该外部编号已登记"}, status=status.HTTP_200_OK)
        body = self.get_serializer(hazard).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _differs(hazard: Hazard, data: dict) -> bool:
    return (
        hazard.unit_id != data["unit"].pk
        or hazard.found_on != data["found_on"]
        or hazard.description != data["description"]
    )


@extend_schema_view(
    list=extend_schema(summary="已印发的通报（增量同步）", tags=["通报"]),
    retrieve=extend_schema(summary="通报详情", tags=["通报"]),
)
class BulletinViewSet(SyncViewSet):
    model = Bulletin
    serializer_class = BulletinSerializer
    filterset_class = BulletinFilter

    def scoped_queryset(self, user):
        return (
            Bulletin.objects.visible_to(user)
            .filter(status=Bulletin.Status.CIRCULATED)
            .select_related("area", "campaign")
        )


def _file(field, filename: str, content_type: str, *, attachment: bool) -> FileResponse:
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=attachment, filename=filename, content_type=content_type
    )


class BulletinPdfView(APIView):
    @extend_schema(
        summary="通报 PDF",
        tags=["通报"],
        responses={(200, "application/pdf"): OpenApiResponse(description="PDF 文件")},
    )
    def get(self, request, pk: int):
        bulletin = get_object_or_404(
            Bulletin.objects.visible_to(request.user).filter(status=Bulletin.Status.CIRCULATED),
            pk=pk,
        )
        return _file(bulletin.pdf, pdf_filename(bulletin), "application/pdf", attachment=True)


class PhotoView(APIView):
    @extend_schema(
        summary="隐患照片（JPEG）",
        tags=["隐患"],
        responses={(200, "image/jpeg"): OpenApiResponse(description="JPEG 图片")},
    )
    def get(self, request, pk: int):
        photo = get_object_or_404(
            HazardPhoto.objects.filter(hazard__in=Hazard.objects.visible_to(request.user)), pk=pk
        )
        response = _file(photo.image, f"photo-{photo.pk}.jpg", "image/jpeg", attachment=False)
        response["X-Content-Type-Options"] = "nosniff"
        return response
