"""What the API says about each record. Codes (status, level …) come with their Chinese label."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inspections.models import Bulletin, Hazard, HazardEvent, HazardPhoto, Inspection
from units.models import Unit


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _ref(obj) -> dict | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


class UnitSerializer(serializers.ModelSerializer):
    category = serializers.SerializerMethodField()
    area = serializers.SerializerMethodField()
    lead_department = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Unit
        fields = [
            "id",
            "name",
            "credit_code",
            "category",
            "area",
            "address",
            "legal_rep",
            "legal_rep_phone",
            "safety_contact",
            "safety_contact_phone",
            "lead_department",
            "status",
            "status_display",
            "is_illegal",
            "attributes",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(RefSerializer)
    def get_category(self, unit) -> dict:
        return _ref(unit.category)

    @extend_schema_field(RefSerializer)
    def get_area(self, unit) -> dict:
        return _ref(unit.area)

    @extend_schema_field(RefSerializer)
    def get_lead_department(self, unit) -> dict:
        return _ref(unit.lead_department)


class InspectionSerializer(serializers.ModelSerializer):
    unit = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    campaign = serializers.SerializerMethodField()
    inspectors = serializers.SerializerMethodField()
    kind_display = serializers.CharField(source="get_kind_display")
    hazards = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = [
            "id",
            "unit",
            "department",
            "date",
            "kind",
            "kind_display",
            "campaign",
            "inspectors",
            "checked_items",
            "summary",
            "no_hazards",
            "submitted_at",
            "hazards",
            "updated_at",
        ]

    @extend_schema_field(RefSerializer)
    def get_unit(self, inspection) -> dict:
        return _ref(inspection.unit)

    @extend_schema_field(RefSerializer)
    def get_department(self, inspection) -> dict:
        return _ref(inspection.department)

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_campaign(self, inspection) -> dict | None:
        return _ref(inspection.campaign)

    def get_inspectors(self, inspection) -> list[str]:
        return [str(user) for user in inspection.inspectors.all()]

    def get_hazards(self, inspection) -> list[int]:
        """Ids of the inspection's hazards this client may read (drafts never)."""
        return [hazard.pk for hazard in inspection.visible_hazards]


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    action_display = serializers.CharField(source="get_action_display")

    class Meta:
        model = HazardEvent
        fields = [
            "id",
            "created_at",
            "action",
            "action_display",
            "from_status",
            "to_status",
            "actor",
            "note",
            "data",
        ]

    def get_actor(self, event) -> str:
        return str(event.actor) if event.actor_id else "系统"


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = HazardPhoto
        fields = ["id", "kind", "created_at", "url"]

    def get_url(self, photo) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api:photo", kwargs={"pk": photo.pk})
        )


class HazardSerializer(serializers.ModelSerializer):
    unit = serializers.SerializerMethodField()
    lead_department = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display")
    level_display = serializers.CharField(source="get_level_display")
    hazard_type_display = serializers.CharField(source="get_hazard_type_display")
    source_display = serializers.CharField(source="get_source_display")
    overdue = serializers.SerializerMethodField()
    events = EventSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Hazard
        fields = [
            "id",
            "number",
            "unit",
            "inspection",
            "source",
            "source_display",
            "external_source",
            "external_id",
            "found_on",
            "description",
            "location",
            "hazard_type",
            "hazard_type_display",
            "level",
            "level_display",
            "legal_basis",
            "lead_department",
            "responsible_person",
            "deadline",
            "original_deadline",
            "overdue",
            "status",
            "status_display",
            "fixed_on_spot",
            "disposal",
            "rectification_plan",
            "measures",
            "reopen_count",
            "escalated_at",
            "listed_document",
            "listed_on",
            "reported_done_at",
            "closed_at",
            "created_at",
            "updated_at",
            "events",
            "photos",
        ]

    @extend_schema_field(RefSerializer)
    def get_unit(self, hazard) -> dict:
        return _ref(hazard.unit)

    @extend_schema_field(RefSerializer)
    def get_lead_department(self, hazard) -> dict:
        return _ref(hazard.lead_department)

    def get_overdue(self, hazard) -> bool:
        return hazard.is_overdue(self.context["today"])


class HazardCreateSerializer(serializers.Serializer):
    """A hazard reported by another system; it enters at 已登记 for the office's triage."""

    SOURCES = [
        (value, label)
        for value, label in Hazard.Source.choices
        if value != Hazard.Source.SELF_CHECK  # the units' own, from their portal only
    ]

    external_id = serializers.CharField(
        max_length=100,
        help_text="本系统中的记录编号（如 12345 工单号）；重复报送同一编号不会重复登记",
    )
    unit = serializers.IntegerField(required=False, help_text="单位 id（见 /api/v1/units/）")
    unit_credit_code = serializers.CharField(
        required=False, max_length=18, help_text="或：单位统一社会信用代码"
    )
    found_on = serializers.DateField(help_text="发现日期")
    description = serializers.CharField(max_length=2000, help_text="隐患描述：部位和存在的问题")
    location = serializers.CharField(max_length=100, required=False, default="")
    hazard_type = serializers.ChoiceField(choices=Hazard.Type.choices)
    level = serializers.ChoiceField(choices=Hazard.Level.choices)
    legal_basis = serializers.CharField(max_length=300, required=False, default="")
    major_basis = serializers.CharField(
        max_length=300,
        required=False,
        default="",
        help_text="重大隐患的判定依据（标准条款或判定理由）；level 为 major 时必填",
    )
    source = serializers.ChoiceField(choices=SOURCES, default=Hazard.Source.REPORT)
    note = serializers.CharField(
        max_length=1000, required=False, default="", help_text="来源说明，如举报人反映的情况"
    )

    def validate_description(self, value: str) -> str:
        value = value.strip()
        if len(value) < 4:
            raise serializers.ValidationError("请写明隐患的部位和存在的问题（至少4个字）")
        return value

    def validate_found_on(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError("发现日期不能晚于今天")
        return value

    def validate(self, data):
        if data["level"] == Hazard.Level.MAJOR and not data.get("major_basis", "").strip():
            raise serializers.ValidationError(
                {"major_basis": "重大隐患须写明判定依据（标准条款或判定理由）"}
            )
        units = Unit.objects.visible_to(self.context["request"].user)
        if data.get("unit") is not None:
            unit = units.filter(pk=data["unit"]).first()
        elif data.get("unit_credit_code"):
            unit = units.filter(credit_code=data["unit_credit_code"].strip().upper()).first()
        else:
            raise serializers.ValidationError({"unit": "请提供 unit 或 unit_credit_code"})
        if unit is None:
            # The same answer whether the unit is missing or outside this client's scope.
            raise serializers.ValidationError({"unit": "单位不存在或不在本客户端的数据范围内"})
        data["unit"] = unit
        return data


class BulletinSerializer(serializers.ModelSerializer):
    area = serializers.SerializerMethodField()
    campaign = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = [
            "id",
            # bulletin (通报) or quarterly (季报, whose stats hold the three tables instead).
            "kind",
            "number",
            "title",
            "period_start",
            "period_end",
            "area",
            "campaign",
            "circulated_at",
            "narrative",
            "praise_remarks",
            "criticism_remarks",
            "requirements",
            "stats",
            "supersedes",
            "pdf_url",
        ]

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_area(self, bulletin) -> dict | None:
        return _ref(bulletin.area)

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_campaign(self, bulletin) -> dict | None:
        return _ref(bulletin.campaign)

    def get_pdf_url(self, bulletin) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api:bulletin-pdf", kwargs={"pk": bulletin.pk})
        )
