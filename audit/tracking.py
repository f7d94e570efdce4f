"""Which models keep a change history, and which of their columns: the one place to edit.

Every tracked model gets an event model in this app (audit.<Model>History) and PostgreSQL
triggers on its own table (installed by pgtrigger through the owning app's migrations), so
`save()`, `queryset.update()`, `bulk_create` and raw SQL are all recorded with the row's new
values; the previous values are the previous event. SQLite has no such triggers: the demo
records no change history (README, 审计).

After changing this list, or a tracked model's fields (a new column on Hazard, say):
    DEBUG=1 PLAIN_STATIC=1 .venv/bin/python manage.py makemigrations audit units inspections
regenerates the event models (audit/migrations) and the triggers (the owning apps' migrations).
"""

from dataclasses import dataclass, field

# Never worth an event of their own: stamped by a trigger on every write (change_seq), or moved
# by every save (updated_at). A tracked column that changes is what makes an event.
NOISE = ["change_seq", "updated_at"]


@dataclass(frozen=True)
class Tracked:
    model: str  # "app_label.ModelName"
    exclude: list[str] = field(default_factory=lambda: list(NOISE))
    fields: list[str] | None = None  # only these, when given (exclude is then ignored)
    # Records that matter are voided or deactivated with a reason, never deleted: PostgreSQL
    # refuses a DELETE on their table (rows that may go are described by deletable_when).
    no_delete: bool = False
    # {column: value} of the OLD row that may still be deleted, e.g. a draft's own hazards.
    deletable_when: dict | None = None

    @property
    def app_label(self) -> str:
        return self.model.split(".")[0]

    @property
    def model_name(self) -> str:
        return self.model.split(".")[1]


TRACKED: list[Tracked] = [
    Tracked("units.Unit", no_delete=True),
    # Who may see and do what; never the password hash or the login clock.
    Tracked(
        "units.User",
        fields=[
            "username",
            "name",
            "email",
            "phone",
            "role",
            "department",
            "is_active",
            "is_staff",
            "is_superuser",
            "must_change_password",
            "unit",
            "deactivated_at",
            "deactivated_by",
            "deactivation_reason",
        ],
        no_delete=True,
    ),
    Tracked("inspections.Campaign", no_delete=True),
    Tracked("inspections.Inspection", no_delete=True, deletable_when={"status": "draft"}),
    # A hazard still in its author's draft inspection may be taken out of the draft.
    Tracked("inspections.Hazard", no_delete=True, deletable_when={"status": "draft"}),
    Tracked("inspections.DeadlineExtension"),
    Tracked("inspections.EnforcementAction", no_delete=True),
    Tracked("inspections.Accident", no_delete=True),
    # The statistics snapshot is recomputed from the records at every build: its text is the
    # bulletin's; the texts, status and files are what people change.
    Tracked("inspections.Bulletin", exclude=[*NOISE, "stats"]),
    Tracked("inspections.BulletinAdjustment"),
    Tracked("inspections.CalendarDay"),
    # 值班表: an import replaces a day's rows (delete + insert), both recorded.
    Tracked("inspections.DutyShift"),
    # Who issued, used or revoked a unit's activation code; never deleted.
    Tracked("units.ActivationCode", no_delete=True),
    Tracked("inspections.HazardAttachment", no_delete=True),
]


@dataclass(frozen=True)
class TrackedLink:
    """A many-to-many field of a tracked model: each link added or removed is an event of its
    own (the through table's insert/delete), shown in the owning object's history."""

    model: str  # the owner, "app_label.ModelName"
    field: str

    @property
    def app_label(self) -> str:
        return self.model.split(".")[0]

    @property
    def model_name(self) -> str:
        return self.model.split(".")[1]


TRACKED_LINKS: list[TrackedLink] = [
    TrackedLink("inspections.Inspection", "inspectors"),
    TrackedLink("inspections.Campaign", "categories"),
    TrackedLink("inspections.Campaign", "areas"),
    TrackedLink("inspections.EnforcementAction", "hazards"),
]


def link_event_model_name(link: TrackedLink) -> str:
    return f"{link.model_name}{link.field.title()}History"


def event_model_name(tracked: Tracked) -> str:
    return f"{tracked.model_name}History"
