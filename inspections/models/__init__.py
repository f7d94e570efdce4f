from .bulletins import Bulletin, BulletinAdjustment, BulletinDefaults, BulletinEvent
from .calendar import CalendarDay
from .campaigns import Campaign, CampaignArea, CampaignCategory, Inspection, InspectionInspector
from .counts import HazardCount, HazardMonthCount
from .documents import Document, DocumentPrefix
from .duty import DutyShift
from .enforcement import Accident, EnforcementAction, EnforcementActionHazard
from .exports import ExportJob
from .hazards import (
    DeadlineExtension,
    Hazard,
    HazardAttachment,
    HazardEvent,
    HazardPhoto,
    YearSequence,
    overdue_q,
)
from .imports import ImportJob
from .notifications import MutedKind, Notification, Reminder, ReminderRun
from .vetoes import VetoEntry

__all__ = [
    "CampaignArea",
    "CampaignCategory",
    "EnforcementActionHazard",
    "InspectionInspector",
    "Accident",
    "Bulletin",
    "BulletinAdjustment",
    "BulletinDefaults",
    "BulletinEvent",
    "CalendarDay",
    "Campaign",
    "DeadlineExtension",
    "Document",
    "DocumentPrefix",
    "DutyShift",
    "EnforcementAction",
    "ExportJob",
    "Hazard",
    "HazardAttachment",
    "HazardCount",
    "HazardMonthCount",
    "HazardEvent",
    "HazardPhoto",
    "ImportJob",
    "Inspection",
    "MutedKind",
    "Notification",
    "Reminder",
    "ReminderRun",
    "VetoEntry",
    "YearSequence",
    "overdue_q",
]
