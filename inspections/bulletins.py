"""通报 (bulletins): create, build (statistics → HTML → PDF + .xlsx), edit, submit for signing,
sign or return, circulate.

Service functions are keyword-only and do their writes in a transaction. The figures are computed
once per build and stored as JSON; the PDF is always rendered from that snapshot, so editing the
text or circulating never changes a figure, and a circulated bulletin never changes at all
(a correction is a new bulletin that `supersedes` it).

Callers enqueue the Celery tasks (views, beat): this module does not import tasks.
"""

import datetime
import logging
import math
import re
import uuid
from io import BytesIO
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from anjian.db_routers import replica_reads
from units.models import Area, Department, User

from . import quarterly, vetoes
from . import stats as stats_module
from .bulletin_rules import RuleConfig, describe, evaluate, fatal_accidents_of
from .models import (
    Bulletin,
    BulletinAdjustment,
    BulletinDefaults,
    BulletinEvent,
    Campaign,
    Notification,
    YearSequence,
)

logger = logging.getLogger(__name__)

B = Bulletin.Status


class BulletinError(Exception):
    """A refused bulletin operation; the message is Chinese and shown to the user."""


def _require_office(actor: User) -> None:
    if not actor.is_office:
        raise BulletinError("只有安委办可以编制和印发通报")


def may_sign(user: User) -> bool:
    """签发 is a leader's act; the office that drafted the bulletin never signs it itself."""
    return user.is_authenticated and user.is_active and user.role == User.Role.LEADER


def _require_signer(actor: User) -> None:
    if not may_sign(actor):
        raise BulletinError("只有领导可以签发通报")


def _log(bulletin: Bulletin, actor: User, action: str, note: str = "") -> BulletinEvent:
    return BulletinEvent.objects.create(bulletin=bulletin, actor=actor, action=action, note=note)


def _locked_for_edit(bulletin_id: int) -> Bulletin:
    """The row under lock, refused once it has gone to the leader for signing."""
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin_id)
    if bulletin.status == B.CIRCULATED:
        raise BulletinError("已印发的通报不能修改；如需更正，请新建通报并选择替代原通报")
    if bulletin.status not in Bulletin.EDITABLE_STATUSES:
        raise BulletinError(
            f"通报{bulletin.get_status_display()}，不能修改；如需修改，请先撤回送签或由领导退回"
        )
    return bulletin


def format_number(year: int, seq: int) -> str:
    """安委办通报〔2026〕3号: full year in 〔〕 (U+3014/3015), no leading zeros."""
    return f"{settings.BULLETIN_NUMBER_PREFIX}\u3014{year}\u3015{seq}号"


def make_title(
    start: datetime.date,
    end: datetime.date,
    campaign: Campaign | None = None,
    area: Area | None = None,
) -> str:
    where = area.name if area else ""
    if campaign:
        subject = f"{campaign.name}"
        if not subject.endswith(("检查", "排查", "整治", "行动")):
            subject += "隐患排查治理"
    else:
        subject = f"{stats_module.period_label(start, end)}安全生产隐患排查治理"
    return f"{settings.BULLETIN_ISSUER}关于{where}{subject}情况的通报"


def create_bulletin(
    *,
    actor: User,
    start: datetime.date,
    end: datetime.date,
    campaign: Campaign | None = None,
    area: Area | None = None,
    supersedes: Bulletin | None = None,
) -> Bulletin:
    """A draft waiting for its build; the caller enqueues `build_bulletin_task` on commit."""
    _require_office(actor)
    if end < start:
        raise BulletinError("结束日期不能早于开始日期")
    if supersedes is not None and supersedes.status != B.CIRCULATED:
        raise BulletinError("只能更正（替代）已印发的通报")
    with transaction.atomic():
        bulletin = Bulletin.objects.create(
            title=make_title(start, end, campaign, area),
            period_start=start,
            period_end=end,
            campaign=campaign,
            area=area,
            supersedes=supersedes,
            created_by=actor,
            status=B.DRAFT,
        )
        _log(bulletin, actor, BulletinEvent.Action.CREATE)
    return bulletin


def create_quarterly(*, actor: User, year: int, quarter: int) -> Bulletin:
    """A 季报 draft for the quarter; the caller enqueues the build. A second one for the same
    quarter is refused by the database (bulletin_one_quarterly_per_quarter)."""
    _require_office(actor)
    if quarter not in (1, 2, 3, 4):
        raise BulletinError("季度须为1至4")
    start, end = quarterly.quarter_bounds(year, quarter)
    try:
        with transaction.atomic():
            bulletin = Bulletin.objects.create(
                kind=Bulletin.Kind.QUARTERLY,
                title=quarterly.make_title(settings.BULLETIN_ISSUER, start),
                period_start=start,
                period_end=end,
                due_on=quarterly.due_on(end),
                created_by=actor,
                status=B.DRAFT,
            )
            _log(bulletin, actor, BulletinEvent.Action.CREATE)
    except IntegrityError:
        raise BulletinError(
            f"{quarterly.quarter_label(start)}的季报已经存在；如需按最新数据重算，请在该季报页面重新生成"
        ) from None
    return bulletin


def scope_for(bulletin: Bulletin, today: datetime.date) -> stats_module.Scope:
    return stats_module.Scope(
        start=bulletin.period_start,
        end=bulletin.period_end,
        today=today,
        campaign_id=bulletin.campaign_id,
        area_id=bulletin.area_id,
    )


def compute_stats(bulletin: Bulletin, today: datetime.date) -> dict:
    """Figures plus the rule lists, with the thresholds that produced them; a 季报's tables."""
    if bulletin.is_quarterly:
        return quarterly.compute(bulletin.period_start, bulletin.period_end, today)
    config = RuleConfig.from_settings()
    scope = scope_for(bulletin, today)
    data = stats_module.compute(
        scope,
        major_overdue_days=config.veto_major_overdue_days,
        untouched_days=config.criticise_untouched_days,
        list_cap=settings.BULLETIN_PDF_LIST_CAP,
    )
    days = (bulletin.period_end - bulletin.period_start).days + 1
    data["annex"] = annex_plan(data["summary"])
    _add_rule_inputs(bulletin, scope, data["by_department"], config)
    data["rules"] = {
        "config": config.to_json(),
        "days": days,
        "notes": describe(config, days),
        **evaluate(data["by_department"], config, days),
    }
    return data


def _add_rule_inputs(bulletin: Bulletin, scope, rows: list[dict], config: RuleConfig) -> None:
    """What the rules read beyond the tables: each department's remit and its key-unit
    coverage, its fatal accidents not yet in the 一票否决 ledger, and the overdue hazards of
    departments too small for a rate."""
    accidents = stats_module.fatal_accident_list(scope)
    recorded = vetoes.recorded_accidents(bulletin=bulletin)
    small = [
        row["id"]
        for row in rows
        if row["open"]["value"] < config.criticise_overdue_min_open and row["overdue"]["value"]
    ]
    overdue = stats_module.overdue_of_departments(scope, small)
    remit = stats_module.remit_coverage(scope)
    for row in rows:
        row.update(remit.of(row))
        row["fatal_list"] = fatal_accidents_of(row, accidents, recorded)
        if row["id"] in overdue:
            row["overdue_hazards"] = overdue[row["id"]]


ORDINALS = "一二三四五六七八九十"


def _more(shown: int, total: int) -> str:
    return "等" if total > shown else ""


def problem_paragraphs(data: dict) -> list[str]:
    """二、存在问题 from the figures, each problem with its named cases; a problem without a case
    is left out (a zero is never presented as a shortcoming)."""
    summary = data["summary"]
    found = data.get("problems") or {}
    today = data["period"]["today_label"]
    campaign = bool(data["scope"]["campaign"])
    where = "本次专项检查发现的隐患中" if campaign else ""
    result = []
    overdue = summary["overdue"]["value"]
    if overdue:
        text = f"隐患整改不及时。截至{today}，{where}仍有逾期未整改隐患{overdue}项"
        major = summary["major_overdue"]["value"]
        if major:
            text += f"，其中重大隐患{major}项"
        departments = found.get("overdue_departments") or []
        if departments:
            names = "、".join(f"{d['name']}{d['overdue']}项" for d in departments)
            more = _more(len(departments), found.get("overdue_departments_total", 0))
            text += f"，主要集中在{names}{more}"
        result.append(text + "，闭环管理不到位。")
    untouched = found.get("untouched") or {}
    if untouched.get("rows"):
        cases = "；".join(
            f"{r['number']}（{r['unit']}，{r['department']}，督办已{r['days']}日）"
            for r in untouched["rows"]
        )
        result.append(
            f"督办落实不力。{untouched['total']}项隐患督办{untouched['days']}日以上仍无任何处理，"
            f"如{cases}{_more(len(untouched['rows']), untouched['total'])}，督办流于形式。"
        )
    low = found.get("low_coverage") or []
    if low:
        cases = "；".join(
            f"{r['name']}在册{r['total']}家，本期均未检查"
            if not r["inspected"]
            else f"{r['name']}在册{r['total']}家，本期检查{r['inspected']}家，覆盖率{r['rate']}"
            for r in low
        )
        head = "专项检查覆盖不全" if campaign else "重点行业领域检查覆盖不全"
        result.append(f"{head}。{cases}。")
    repeated = found.get("repeated") or {}
    if repeated.get("rows"):
        cases = "、".join(f"{r['unit']}（{r['type']}隐患{r['times']}次）" for r in repeated["rows"])
        result.append(
            f"同类隐患反复出现。{repeated['units']}家单位近一年内同类隐患被重复查出，"
            f"如{cases}{_more(len(repeated['rows']), repeated['units'])}，"
            "整改不彻底，源头治理不到位。"
        )
    key, zero = summary["key_inspections"], summary["key_zero"]
    if key and zero and zero * 2 >= key:
        result.append(
            f"检查质量不高。本期检查重点行业单位{key}次，其中{zero}次报告“无隐患”，"
            "个别检查存在走过场现象。"
        )
    return [f"{ORDINALS[i]}是{text}" for i, text in enumerate(result[: len(ORDINALS)])]


def default_texts(data: dict) -> dict[str, str]:
    """Starting text for the editable sections: 存在问题 written from the figures, 下步工作要求
    and 联系人 from the office's defaults (BulletinDefaults)."""
    defaults = BulletinDefaults.current()
    if data.get("kind") == "quarterly":
        analysis = quarterly.analysis_paragraphs(data) or ["本季度隐患排查治理工作总体平稳。"]
        return {"narrative": "\n".join(analysis), "contact": defaults.contact}
    problems = problem_paragraphs(data) or ["本期未发现需要通报的突出问题。"]
    return {
        "narrative": "\n".join(problems),
        "praise_remarks": "希望受到表扬的部门再接再厉，持续做好隐患排查治理工作。",
        "criticism_remarks": (
            "被通报批评的部门要认真分析原因，逐项制定整改措施，"
            "于本通报印发之日起10个工作日内将整改情况书面报区安委办。"
        ),
        "requirements": defaults.requirements,
        "contact": defaults.contact,
    }


def update_defaults(*, actor: User, requirements: str, contact: str) -> BulletinDefaults:
    """The office's standing wording for the next bulletins; drafts already made keep theirs."""
    _require_office(actor)
    requirements, contact = requirements.strip(), contact.strip()
    if not requirements:
        raise BulletinError("请填写下步工作要求")
    with transaction.atomic():
        defaults = BulletinDefaults.current()
        defaults = BulletinDefaults.objects.select_for_update().get(pk=defaults.pk)
        defaults.requirements = requirements
        defaults.contact = contact
        defaults.updated_by = actor
        defaults.save()
    return defaults


# What a build writes; every other column is what the documents are rendered from.
BUILD_OUTPUTS = {"stats", "status", "error", "generated_at", "pdf", "attachment"}


def _document_source(bulletin: Bulletin) -> tuple:
    return tuple(
        getattr(bulletin, f.attname)
        for f in Bulletin._meta.concrete_fields
        if f.name not in BUILD_OUTPUTS
    )


def _annex_xlsx(bulletin: Bulletin, data: dict, today: datetime.date) -> bytes:
    if bulletin.is_quarterly:
        return quarterly.xlsx(bulletin.title, data)
    return attachment_xlsx(bulletin, scope_for(bulletin, today))


def build(bulletin_id: int, *, today: datetime.date | None = None) -> Bulletin:
    """Computes the figures and renders the PDF and .xlsx → status ready; any error → failed
    with the message. A bulletin that went to signing is left alone (a redelivered task must not
    change what the leader signs)."""
    today = today or timezone.localdate()
    bulletin = Bulletin.objects.get(pk=bulletin_id)
    if bulletin.status not in Bulletin.EDITABLE_STATUSES:
        return bulletin
    try:
        # The figures and the annex's lists may come from the read replica: read-only
        # aggregates and lists over the district's records. The PDF (the office's own edits
        # and adjustments) and everything under the row lock below read default.
        with replica_reads():
            data = compute_stats(bulletin, today)
        # The documents are built before the row lock is taken: the PDF and the annex take
        # seconds at ten years' scale, and holding the lock through them blocked every edit
        # of the bulletin meanwhile.
        source = _document_source(bulletin)
        bulletin.stats = data
        for field, text in default_texts(data).items():
            if not getattr(bulletin, field).strip():
                setattr(bulletin, field, text)
        pdf = render_pdf(bulletin)
        with replica_reads():
            xlsx = _annex_xlsx(bulletin, data, today)
        with transaction.atomic():
            locked = Bulletin.objects.select_for_update().get(pk=bulletin_id)
            if locked.status not in Bulletin.EDITABLE_STATUSES:
                return locked
            changed = _document_source(locked) != source  # edited meanwhile
            locked.stats = data
            for field, text in default_texts(data).items():
                if not getattr(locked, field).strip():
                    setattr(locked, field, text)
            if changed:
                pdf = render_pdf(locked)
                if locked.is_quarterly:  # its sheet carries the title; a 通报's annex does not
                    xlsx = _annex_xlsx(locked, data, today)
            old_files = [locked.pdf.name, locked.attachment.name]
            _save_file(locked, "pdf", pdf, "pdf")
            _save_file(locked, "attachment", xlsx, "xlsx")
            locked.status = B.READY
            locked.error = ""
            locked.generated_at = timezone.now()
            locked.save()
            _delete_on_commit(locked, old_files)
        return locked
    except Exception as exc:
        logger.exception("bulletin %s failed to build", bulletin_id)
        Bulletin.objects.filter(pk=bulletin_id, status__in=Bulletin.EDITABLE_STATUSES).update(
            status=B.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return Bulletin.objects.get(pk=bulletin_id)


def rerender(bulletin_id: int) -> Bulletin:
    """Re-renders a built bulletin's PDF after its text was edited; figures are untouched.
    Also after submission: the edit may have been saved just before, and the PDF is a pure
    function of the stored text and figures, so the leader gets the PDF of what they sign."""
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().get(pk=bulletin_id)
        if bulletin.status not in (B.READY, B.SUBMITTED, B.APPROVED):
            return bulletin
        old = [bulletin.pdf.name]
        _save_file(bulletin, "pdf", render_pdf(bulletin), "pdf")
        bulletin.save(update_fields=["pdf"])
        _delete_on_commit(bulletin, old)
    return bulletin


def regenerate(*, bulletin_id: int, actor: User) -> Bulletin:
    """Back to draft so the figures are computed again; the caller enqueues the build."""
    _require_office(actor)
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().get(pk=bulletin_id)
        if bulletin.status == B.CIRCULATED:
            raise BulletinError("已印发的通报不能重新生成；如需更正，请新建通报并选择替代原通报")
        if bulletin.status not in Bulletin.EDITABLE_STATUSES:
            raise BulletinError(
                f"通报{bulletin.get_status_display()}，不能重新生成；请先撤回送签或由领导退回"
            )
        bulletin.status = B.DRAFT
        bulletin.error = ""
        bulletin.save(update_fields=["status", "error"])
        _log(bulletin, actor, BulletinEvent.Action.REGENERATE)
    return bulletin


EDITABLE_TEXTS = ("narrative", "praise_remarks", "criticism_remarks", "requirements", "contact")


def update_texts(*, bulletin_id: int, actor: User, **texts: str) -> Bulletin:
    """Edits the office's wording; the figures cannot be edited, only regenerated."""
    _require_office(actor)
    unknown = set(texts) - set(EDITABLE_TEXTS)
    if unknown:
        raise BulletinError(f"不可编辑的字段：{', '.join(sorted(unknown))}")
    with transaction.atomic():
        bulletin = _locked_for_edit(bulletin_id)
        changed = [f for f, v in texts.items() if getattr(bulletin, f) != v.strip()]
        for field, value in texts.items():
            setattr(bulletin, field, value.strip())
        bulletin.save(update_fields=list(texts))
        if changed:
            labels = "、".join(str(Bulletin._meta.get_field(f).verbose_name) for f in changed)
            _log(bulletin, actor, BulletinEvent.Action.EDIT, f"修改了{labels}")
    return bulletin


SECTIONS = BulletinAdjustment.Section
SECTION_KEYS = tuple(SECTIONS.values)


def effective_lists(bulletin: Bulletin, adjustments=None) -> dict[str, list[dict]]:
    """The praise, criticism and veto lists as printed: the rules' lists from the snapshot,
    minus the entries the office struck, plus those it added (marked "added")."""
    rules = (bulletin.stats or {}).get("rules", {})
    if adjustments is None:
        adjustments = bulletin.adjustments.filter(revoked_at=None).select_related("department")
    live = [a for a in adjustments if a.revoked_at is None]
    lists = {}
    for section in SECTION_KEYS:
        struck = {a.department_id for a in live if a.section == section and a.action == "strike"}
        entries = [
            {**e, "added": False}
            for e in rules.get(section, [])
            if e.get("department_id") not in struck
        ]
        entries += [
            {
                "department_id": a.department_id,
                "department": a.department.name,
                "reasons": [a.text],
                "added": True,
            }
            for a in live
            if a.section == section and a.action == "add"
        ]
        lists[section] = entries
    return lists


def adjust(
    *,
    bulletin_id: int,
    actor: User,
    section: str,
    action: str,
    department: Department,
    reason: str,
    text: str = "",
) -> BulletinAdjustment:
    """Strikes a computed entry or adds one, with the reason kept in the draft's history.
    Figures are not touched; the PDF is re-rendered by the caller's render task."""
    _require_office(actor)
    reason, text = reason.strip(), text.strip()
    if section not in SECTION_KEYS:
        raise BulletinError("请选择名单（表扬、通报批评或一票否决）")
    if action not in BulletinAdjustment.Action.values:
        raise BulletinError("请选择划去或增加")
    if not reason:
        raise BulletinError("请填写调整理由")
    if action == "add" and not text:
        raise BulletinError("增加的名单须写明通报事由")
    with transaction.atomic():
        bulletin = _locked_for_edit(bulletin_id)
        if not bulletin.stats:
            raise BulletinError("通报尚未生成完成，不能调整名单")
        live = list(bulletin.adjustments.filter(revoked_at=None).select_related("department"))
        if any(a.section == section and a.department_id == department.pk for a in live):
            raise BulletinError(f"{department.name}在该名单中已有调整，请先撤销原调整")
        lists = effective_lists(bulletin, live)
        listed = {e["department_id"] for e in lists[section]}
        label = SECTIONS(section).label
        if action == "strike" and department.pk not in listed:
            raise BulletinError(f"{department.name}不在{label}名单中")
        if action == "add":
            if department.pk in listed:
                raise BulletinError(f"{department.name}已在{label}名单中")
            blamed = {e["department_id"] for key in ("criticise", "veto") for e in lists[key]}
            if section == "praise" and department.pk in blamed:
                raise BulletinError(f"{department.name}在通报批评或一票否决名单中，不能同时表扬")
        adjustment = BulletinAdjustment.objects.create(
            bulletin=bulletin,
            section=section,
            action=action,
            department=department,
            text=text if action == "add" else "",
            reason=reason,
            actor=actor,
        )
        what = f"{adjustment.get_action_display()}{label}：{department.name}"
        if text and action == "add":
            what += f"（{text}）"
        _log(bulletin, actor, BulletinEvent.Action.ADJUST, f"{what}。理由：{reason}")
    return adjustment


def revoke_adjustment(*, bulletin_id: int, actor: User, adjustment_id: int) -> BulletinAdjustment:
    """Undoes an adjustment; the row and its reason stay in the history."""
    _require_office(actor)
    with transaction.atomic():
        bulletin = _locked_for_edit(bulletin_id)
        adjustment = (
            bulletin.adjustments.select_for_update()
            .select_related("department")
            .filter(pk=adjustment_id, revoked_at=None)
            .first()
        )
        if adjustment is None:
            raise BulletinError("该调整不存在或已撤销")
        adjustment.revoked_by = actor
        adjustment.revoked_at = timezone.now()
        adjustment.save(update_fields=["revoked_by", "revoked_at"])
        _log(bulletin, actor, BulletinEvent.Action.ADJUST, f"撤销调整：{adjustment}")
    return adjustment


def _notify(users, bulletin: Bulletin, title: str, body: str = "") -> None:
    link = _url("bulletin_detail", bulletin.pk) or f"/bulletins/{bulletin.pk}/"
    today = timezone.localdate()
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind=Notification.Kind.BULLETIN,
                day=today,
                title=title[:200],
                body=body or bulletin.title,
                link=link,
            )
            for user_id in users.values_list("pk", flat=True)
        ]
    )


def _signers():
    return User.objects.filter(is_active=True, role=User.Role.LEADER)


def submit(*, bulletin_id: int, actor: User) -> Bulletin:
    """送签: the office puts a built draft to the leaders, who are notified."""
    _require_office(actor)
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().get(pk=bulletin_id)
        if bulletin.status != B.READY:
            raise BulletinError(f"通报{bulletin.get_status_display()}，只有生成完成的草稿可以送签")
        if not _signers().exists():
            raise BulletinError("没有可以签发通报的领导账号，请管理员先设置")
        bulletin.status = B.SUBMITTED
        bulletin.submitted_by = actor
        bulletin.submitted_at = timezone.now()
        bulletin.signed_by = None
        bulletin.signed_at = None
        bulletin.save()
        _log(bulletin, actor, BulletinEvent.Action.SUBMIT)
        _notify(_signers(), bulletin, f"通报待签发：{bulletin.title}", f"{actor} 送签，请审阅签发")
    return bulletin


def withdraw(*, bulletin_id: int, actor: User) -> Bulletin:
    """The office takes a submitted draft back to change it before a leader has signed."""
    _require_office(actor)
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().get(pk=bulletin_id)
        if bulletin.status != B.SUBMITTED:
            raise BulletinError(f"通报{bulletin.get_status_display()}，不能撤回送签")
        bulletin.status = B.READY
        bulletin.save(update_fields=["status"])
        _log(bulletin, actor, BulletinEvent.Action.WITHDRAW)
    return bulletin


def approve(*, bulletin_id: int, actor: User) -> Bulletin:
    """签发: a leader approves the submitted draft as it stands; the office may now circulate."""
    _require_signer(actor)
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().get(pk=bulletin_id)
        if bulletin.status != B.SUBMITTED:
            raise BulletinError(f"通报{bulletin.get_status_display()}，不在待签发状态")
        bulletin.status = B.APPROVED
        bulletin.signed_by = actor
        bulletin.signed_at = timezone.now()
        bulletin.save(update_fields=["status", "signed_by", "signed_at"])
        _log(bulletin, actor, BulletinEvent.Action.APPROVE)
        _notify(
            User.objects.filter(pk=bulletin.submitted_by_id, is_active=True),
            bulletin,
            f"通报已签发，可以印发：{bulletin.title}",
            f"{actor} 于{timezone.localtime(bulletin.signed_at):%Y-%m-%d %H:%M}签发",
        )
    return bulletin


def return_to_office(*, bulletin_id: int, actor: User, remark: str) -> Bulletin:
    """A leader sends the draft back with what to change; it becomes an editable draft again."""
    _require_signer(actor)
    remark = remark.strip()
    if not remark:
        raise BulletinError("请填写退回意见")
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().get(pk=bulletin_id)
        if bulletin.status != B.SUBMITTED:
            raise BulletinError(f"通报{bulletin.get_status_display()}，不在待签发状态")
        bulletin.status = B.READY
        bulletin.save(update_fields=["status"])
        _log(bulletin, actor, BulletinEvent.Action.RETURN, remark)
        _notify(
            User.objects.filter(pk=bulletin.submitted_by_id, is_active=True),
            bulletin,
            f"通报被退回修改：{bulletin.title}",
            f"{actor}：{remark}",
        )
    return bulletin


def circulate(*, bulletin_id: int, actor: User, today: datetime.date | None = None) -> Bulletin:
    """印发: numbers a signed bulletin and renders its final PDF, in one transaction.

    The number comes from YearSequence (row-locked): a second circulation waits for this one,
    and a failure anywhere (rendering included) rolls the number back, so numbers have no gaps.
    The PDF is rendered while the lock is held — a few seconds — so a circulated bulletin is
    never seen without its numbered PDF."""
    _require_office(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().get(pk=bulletin_id)
        if bulletin.status == B.CIRCULATED:
            raise BulletinError(
                f"该通报已于{timezone.localdate(bulletin.circulated_at):%Y-%m-%d}印发，不能再次印发"
            )
        if bulletin.status != B.APPROVED:
            raise BulletinError("通报尚未经领导签发，不能印发")
        bulletin.year = today.year
        bulletin.seq = YearSequence.next_value("bulletin", today.year)
        bulletin.number = format_number(bulletin.year, bulletin.seq)
        bulletin.status = B.CIRCULATED
        bulletin.circulated_by = actor
        bulletin.circulated_at = timezone.now()
        old = [bulletin.pdf.name]
        _save_file(bulletin, "pdf", render_pdf(bulletin), "pdf")
        bulletin.save()
        _delete_on_commit(bulletin, old)
        _log(bulletin, actor, BulletinEvent.Action.CIRCULATE, bulletin.number)
        vetoes.record(bulletin=bulletin, vetoes=effective_lists(bulletin)["veto"], actor=actor)
        _notify_everyone(bulletin, today)
    return bulletin


def _notify_everyone(bulletin: Bulletin, today: datetime.date) -> None:
    link = _url("bulletin_detail", bulletin.pk) or f"/bulletins/{bulletin.pk}/"
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind=Notification.Kind.BULLETIN,
                day=today,
                title=f"新通报：{bulletin.number}",
                body=bulletin.title,
                link=link,
            )
            for user_id in User.objects.filter(
                is_active=True, role__in=User.PEOPLE_ROLES
            ).values_list("pk", flat=True)
        ],
        batch_size=1000,
    )


def _draft_owner() -> User | None:
    """Who an automatic draft is created by: the first active office (or admin) account."""
    return (
        User.objects.filter(is_active=True, role__in=[User.Role.OFFICE, User.Role.ADMIN])
        .order_by("id")
        .first()
    )


def auto_draft_previous_quarter(*, today: datetime.date | None = None) -> Bulletin | None:
    """Beat, daily: the 季报 of the quarter just ended, drafted once. The unique constraint
    decides (one 季报 per quarter), so the task running twice, or after the office made it
    by hand, creates nothing."""
    today = today or timezone.localdate()
    year, quarter = quarterly.previous_quarter(today)
    start, _ = quarterly.quarter_bounds(year, quarter)
    if Bulletin.objects.filter(kind=Bulletin.Kind.QUARTERLY, period_start=start).exists():
        return None
    actor = _draft_owner()
    if actor is None:
        logger.warning("no office user to own the quarterly report draft; skipped")
        return None
    try:
        return create_quarterly(actor=actor, year=year, quarter=quarter)
    except BulletinError:
        return None  # drafted meanwhile by a concurrent run


def auto_draft_previous_month(*, today: datetime.date | None = None) -> Bulletin | None:
    """Beat: drafts last month's district bulletin once. The sequence row lock decides, so a
    second beat or a retried task finds the draft and does nothing."""
    today = today or timezone.localdate()
    end = today.replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    actor = _draft_owner()
    if actor is None:
        logger.warning("no office user to own the monthly bulletin draft; skipped")
        return None
    with transaction.atomic():
        # Lock a row per month so concurrent runs serialise on it.
        YearSequence.objects.bulk_create(
            [YearSequence(name=f"bulletin-auto-{start:%m}", year=start.year)],
            ignore_conflicts=True,
        )
        YearSequence.objects.select_for_update().get(
            name=f"bulletin-auto-{start:%m}", year=start.year
        )
        exists = Bulletin.objects.filter(
            period_start=start, period_end=end, campaign=None, area=None, supersedes=None
        ).exists()
        if exists:
            return None
        return create_bulletin(actor=actor, start=start, end=end)


# --- rendering -----------------------------------------------------------------------------


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


# The text block is 156 mm wide (A4 less 28 + 26 mm margins): 442 pt, 20 characters of the 22 pt
# (2号) title. Latin letters and digits are narrower (0.59 em in Noto Serif CJK); 0.6 errs wide.
TITLE_CAPACITY = 20.0
_NARROW = 0.6
# Runs kept on one line: dates and numbers ("2026年11月30日", "〔2026〕") and the words of
# bulletin titles, so a line never ends inside "安全生产" or "隐患".
_TITLE_WORDS = (
    "安全生产委员会办公室",
    "隐患排查治理",
    "统计分析",
    "安全生产",
    "情况的通报",
    "大检查",
    "专项整治",
    "专项行动",
    "专项检查",
    "第一季度",
    "第二季度",
    "第三季度",
    "第四季度",
    "隐患",
    "排查",
    "治理",
    "检查",
    "整治",
    "行动",
    "专项",
    "情况",
    "通报",
    "街道",
    "节前",
    "火灾",
    "防控",
)
_UNBREAKABLE = re.compile(
    r"\d+年(?:\d+月(?:\d+日)?)?|\d+月(?:\d+日)?|\d+日|[A-Za-z0-9.]+|〔\d+〕|"
    + "|".join(_TITLE_WORDS)
)
_NO_LINE_START = set("，。、；：？！）》”’〕")
_NO_LINE_END = set("（《“‘〔")
MIN_TITLE_LINE = 3


def _width(text: str) -> float:
    return sum(_NARROW if ord(ch) < 128 else 1.0 for ch in text)


def _tokens(text: str) -> list[str]:
    tokens, pos = [], 0
    for match in _UNBREAKABLE.finditer(text):
        tokens.extend(text[pos : match.start()])
        tokens.append(match.group())
        pos = match.end()
    tokens.extend(text[pos:])
    return tokens


def _balanced(text: str, capacity: float) -> list[str]:
    """`text` in the fewest lines that fit, as even as possible: the longest line as short as
    it can be, every line at least MIN_TITLE_LINE characters, no line starting with closing
    or ending with opening punctuation, no date or number cut."""
    tokens = _tokens(text)
    n = len(tokens)
    allowed = [
        i
        for i in range(1, n)
        if tokens[i][0] not in _NO_LINE_START and tokens[i - 1][-1] not in _NO_LINE_END
    ]
    cuts = [0, *allowed, n]

    def line(a: int, b: int) -> str:
        return "".join(tokens[a:b])

    for count in range(max(1, math.ceil(_width(text) / capacity)), n + 1):
        # best[k][j]: the smallest possible longest line for tokens[:cuts[j]] in k lines.
        best = {(0, 0): (0.0, None)}
        for k in range(1, count + 1):
            for j in range(1, len(cuts)):
                options = []
                for i in range(j):
                    if (k - 1, i) not in best:
                        continue
                    piece = line(cuts[i], cuts[j])
                    width = _width(piece)
                    if width > capacity or len(piece) < MIN_TITLE_LINE:
                        continue
                    options.append((max(best[(k - 1, i)][0], width), i))
                if options:
                    best[(k, j)] = min(options)
        end = len(cuts) - 1
        if (count, end) in best:
            lines, j = [], end
            for k in range(count, 0, -1):
                i = best[(k, j)][1]
                lines.append(line(cuts[i], cuts[j]))
                j = i
            return lines[::-1]
    return [text]


def title_lines(title: str, capacity: float = TITLE_CAPACITY) -> list[str]:
    """The title's lines as printed (GB/T 9704): one line if it fits; otherwise the break after
    "关于" (the issuing body on the first line), the rest balanced by measured width; never a
    line of fewer than MIN_TITLE_LINE characters."""
    if _width(title) <= capacity:
        return [title]
    head, about, tail = title.partition("关于")
    first = head + about
    if about and _width(first) <= capacity and len(tail) >= MIN_TITLE_LINE:
        return [first, *_balanced(tail, capacity)]
    return _balanced(title, capacity)


# The issuing-body mark is at most 30 pt and shrinks to stay on one line of the text block.
ISSUER_MAX_PT = 30
TEXT_WIDTH_PT = 440


def issuer_size(issuer: str) -> int:
    # 2 pt of letter spacing per character.
    return min(ISSUER_MAX_PT, int(TEXT_WIDTH_PT / max(len(issuer), 1) - 2))


def accident_paragraph(acc: dict, where: str) -> str:
    """事故 by kind with 同比 (stats.ACCIDENT_KINDS): 生产安全事故 and 火灾 always, other
    accidents when there were any this year or last."""
    parts = []
    for kind in acc["kinds"]:
        now, last, change = kind["period"], kind["last"], kind["period_change"]
        label = kind["label"]
        if kind["key"] == "other" and not now["count"] and not last["count"]:
            continue
        if now["count"]:
            text = (
                f"发生{label}{now['count']}起，死亡{now['deaths']}人、受伤{now['injuries']}人，"
                f"起数{change['count']}"
            )
            if now["deaths"] or last["deaths"]:
                text += f"，死亡人数{change['deaths']}"
            if now["injuries"] or last["injuries"]:
                text += f"，受伤人数{change['injuries']}"
        else:
            text = f"未发生{label}"
            if last["count"]:
                text += f"，起数{change['count']}"
        parts.append(text)
    production = next(k for k in acc["kinds"] if k["key"] == "production")
    ytd, change = production["ytd"], production["ytd_change"]
    return (
        f"本期{where}{'；'.join(parts)}。今年以来累计发生生产安全事故{ytd['count']}起、"
        f"死亡{ytd['deaths']}人、受伤{ytd['injuries']}人，起数{change['count']}，"
        f"死亡人数{change['deaths']}。"
    )


ANNEXES = [
    "各部门隐患排查治理情况统计表",
    "各街道隐患排查治理情况统计表",
    "各行业领域隐患排查治理情况统计表",
    "重点行业领域检查覆盖情况表",
    "逾期未整改隐患清单",
    "未销号重大隐患清单",
    "统计口径和评价规则",
]


def _letterhead_context(bulletin: Bulletin, *, links: bool) -> dict:
    """What every circulated document of the office shares: issuer, 文号, date, title, 正文."""
    data = bulletin.stats
    circulated = bulletin.status == B.CIRCULATED
    if circulated:
        day = timezone.localtime(bulletin.circulated_at).date()
        number = bulletin.number
    else:
        day = datetime.date.fromisoformat(data["period"]["today"])
        number = f"{settings.BULLETIN_NUMBER_PREFIX}\u3014{day.year}\u3015　号（印发时编号）"
    supersedes = bulletin.supersedes if bulletin.supersedes_id else None
    return {
        "bulletin": bulletin,
        "s": data,
        "links": links,
        "ledger": _url("hazard_list") or "/hazards/",
        "issuer": settings.BULLETIN_ISSUER,
        "recipients": settings.BULLETIN_RECIPIENTS,
        "contact": bulletin.contact,
        "number": number,
        "is_draft": not circulated,
        "issuer_size": issuer_size(settings.BULLETIN_ISSUER),
        "date_label": stats_module.chinese_date(day),
        "title_lines": title_lines(bulletin.title),
        "supersedes_number": supersedes.number if supersedes else "",
        "narrative": _paragraphs(bulletin.narrative),
        "attachment_name": attachment_filename(bulletin),
    }


def document_context(bulletin: Bulletin, *, links: bool, adjustments=None) -> dict:
    """Template context for the PDF (links=False) and the preview (figures linked)."""
    data = bulletin.stats
    campaign = bool(bulletin.campaign_id)
    area = bulletin.area.name if bulletin.area_id else "全区"
    scope_label = "本次专项检查" if campaign else area
    return {
        **_letterhead_context(bulletin, links=links),
        "scope_label": scope_label,
        "campaign_name": bulletin.campaign.name if bulletin.campaign_id else "",
        "period_span": stats_module.chinese_span(
            datetime.date.fromisoformat(data["period"]["start"]),
            datetime.date.fromisoformat(data["period"]["end"]),
        ),
        "today_label": data["period"]["today_label"],
        "yoy": data.get("yoy") or {},
        "last_year": data.get("last_year"),
        "accident_text": (
            accident_paragraph(data["accidents"], "" if campaign else scope_label)
            if "kinds" in data["accidents"]
            else ""
        ),
        "accident_definition": stats_module.ACCIDENT_DEFINITION,
        "praise_remarks": _paragraphs(bulletin.praise_remarks),
        "criticism_remarks": _paragraphs(bulletin.criticism_remarks),
        "requirements": _paragraphs(bulletin.requirements),
        "annexes": ANNEXES,
        "lists": effective_lists(bulletin, adjustments),
        "enforcement_parts": _enforcement_parts(data["enforcement"]),
        "list_cap": settings.BULLETIN_PDF_LIST_CAP,
    }


def _enforcement_parts(enforcement: dict) -> list[str]:
    parts = []
    for kind in enforcement["kinds"]:
        if kind["count"]:
            text = f"{kind['label']}{kind['count']}起"
            if kind["kind"] == "fine":
                wan = enforcement.get("fines_wan") or stats_module.wan(enforcement["fines_total"])
                text += f"（罚款共计{wan}万元）"
            parts.append(text)
    return parts


def quarterly_context(bulletin: Bulletin, *, links: bool) -> dict:
    """Template context of a 季报 for the PDF (links=False) and the preview."""
    data = bulletin.stats
    return {
        **_letterhead_context(bulletin, links=links),
        "q": data,
        "tables": [
            {"key": key, "title": title, "label": label, "rows": data["tables"][key]}
            for key, title, label in quarterly.TABLES
        ],
        "annexes": [title for _, title, _ in quarterly.TABLES],
    }


def render_html(bulletin: Bulletin) -> str:
    if bulletin.is_quarterly:
        return render_to_string(
            "bulletins/quarterly_document.html", quarterly_context(bulletin, links=False)
        )
    return render_to_string("bulletins/document.html", document_context(bulletin, links=False))


def render_pdf(bulletin: Bulletin) -> bytes:
    from weasyprint import HTML  # heavy import, only where a PDF is made

    return HTML(string=render_html(bulletin), base_url=str(settings.BASE_DIR)).write_pdf()


def pdf_filename(bulletin: Bulletin) -> str:
    prefix = bulletin.number or "草稿"
    return f"{prefix} {bulletin.title}.pdf"


def attachment_filename(bulletin: Bulletin) -> str:
    prefix = bulletin.number or "草稿"
    if bulletin.is_quarterly:
        return (
            f"{prefix} {quarterly.quarter_label(bulletin.period_start)}隐患排查治理情况统计表.xlsx"
        )
    return f"{prefix} 附件：逾期隐患和未销号重大隐患清单.xlsx"


LIST_COLUMNS = [
    ("序号", None, 6),
    ("隐患编号", "number", 16),
    ("属地（街道）", "area", 12),
    ("单位名称", "unit", 28),
    ("行业领域", "category", 14),
    ("隐患部位", "location", 14),
    ("隐患描述", "description", 40),
    ("隐患类别", "type", 10),
    ("隐患等级", "level", 10),
    ("首办负责部门", "department", 18),
    ("整改责任人", "responsible", 10),
    ("发现日期", "found_on", 12),
    ("整改期限", "deadline", 12),
    ("原定期限", "original_deadline", 12),
    ("逾期天数", "overdue_days", 8),
    ("状态", "status", 10),
    ("挂牌督办文号", "listed_document", 18),
    ("已督办", "escalated", 8),
]


def annex_plan(summary: dict) -> dict:
    """What the .xlsx annex lists, decided from the figures so the PDF's note says the same.

    Every overdue hazard of the scope while there are at most BULLETIN_ANNEX_MAX_ROWS of
    them. Beyond that (145,554 in the ten-year benchmark district) a list is no reading for a
    department and took 15 of the bulletin's 25 s to write: the annex lists the overdue
    hazards found in the period instead — all of them — and every department's overdue count
    with the ledger filter that lists and exports its whole backlog."""
    cap = settings.BULLETIN_ANNEX_MAX_ROWS
    overdue = summary["overdue"]
    full = overdue["value"] <= cap
    return {
        "cap": cap,
        "overdue_full": full,
        "overdue_total": overdue["value"],
        "overdue_rows": overdue["value"] if full else summary["found_overdue"]["value"],
        "overdue_query": overdue["query"],
    }


def attachment_xlsx(bulletin: Bulletin, scope: stats_module.Scope) -> bytes:
    """The overdue and open-major lists (the PDF prints only the first rows), as
    `annex_plan` decided, and the overdue backlog by department.

    XlsxWriter in constant-memory mode, rows streamed from the database. Text is always
    written as text, never as a formula."""
    import xlsxwriter

    buffer = BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    bold = workbook.add_format({"bold": True})
    plan = (bulletin.stats or {}).get("annex") or {"overdue_full": True}
    today = stats_module.chinese_date(scope.today)
    overdue = stats_module.overdue_hazards(scope)
    overdue_note = ""
    if not plan["overdue_full"]:
        overdue = overdue.filter(found_on__range=(scope.start, scope.end))
        overdue_note = (
            f"（本期{stats_module.chinese_span(scope.start, scope.end)}排查发现的逾期隐患；"
            f"逾期未整改隐患共{plan['overdue_total']}项，超过{plan['cap']}项不逐条列出，"
            "各部门数量见“逾期隐患分部门汇总”，全部清单在隐患台账按“逾期”筛选后导出）"
        )
    sheets = [
        ("逾期未整改隐患", overdue, overdue_note),
        ("未销号重大隐患", stats_module.open_major_hazards(scope), ""),
    ]
    for name, queryset, note in sheets:
        sheet = workbook.add_worksheet(name)
        for index, (_, _, width) in enumerate(LIST_COLUMNS):
            sheet.set_column(index, index, width)
        sheet.write_string(0, 0, f"{bulletin.title}（附件）——{name}，截至{today}{note}", bold)
        for column, (label, _, _) in enumerate(LIST_COLUMNS):
            sheet.write_string(1, column, label, bold)
        keys = [key for _, key, _ in LIST_COLUMNS[1:]]
        for serial, raw in enumerate(queryset.iterator(chunk_size=2000), start=1):
            row = stats_module.list_row(raw, scope.today)
            row["escalated"] = "是" if row["escalated"] else ""
            # write_row: strings stay strings (strings_to_formulas is off), "" an empty cell.
            sheet.write_row(serial + 1, 0, [serial, *(row[key] for key in keys)])
    sheet = workbook.add_worksheet("逾期隐患分部门汇总")
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 3, 14)
    sheet.set_column(4, 4, 60)
    sheet.write_string(
        0, 0, f"{bulletin.title}（附件）——逾期未整改隐患分部门汇总，截至{today}", bold
    )
    head = [
        "首办负责部门",
        "逾期未整改",
        "其中重大隐患",
        "其中本期发现",
        "隐患台账（全部清单，可导出）",
    ]
    sheet.write_row(1, 0, head, bold)
    ledger = _url("hazard_list") or "/hazards/"
    rows = (bulletin.stats or {}).get("overdue_by_department") or []
    for line, row in enumerate(rows, start=2):
        params = [*scope.params(), ("status", "overdue")]
        if row["id"]:
            params.append(("department", str(row["id"])))
        link = f"{ledger}?{urlencode(params)}"
        values = [row["overdue"], row["major_overdue"], row["found_overdue"]]
        sheet.write_row(line, 0, [row["name"], *values, link])
    total = [sum(row[key] for row in rows) for key in ("overdue", "major_overdue", "found_overdue")]
    link = f"{ledger}?{plan.get('overdue_query', '')}"
    sheet.write_row(len(rows) + 2, 0, ["合计", *total, link], bold)
    workbook.close()
    return buffer.getvalue()


def _save_file(bulletin: Bulletin, field: str, content: bytes, ext: str) -> None:
    # Our own ASCII name: the Chinese name is given at download time.
    name = f"bulletin-{bulletin.pk}-{uuid.uuid4().hex[:12]}.{ext}"
    getattr(bulletin, field).save(name, ContentFile(content), save=False)


def _delete_on_commit(bulletin: Bulletin, names: list[str]) -> None:
    storage = bulletin.pdf.storage

    def delete() -> None:
        for name in names:
            if name:
                try:
                    storage.delete(name)
                except OSError:
                    logger.warning("could not delete old bulletin file %s", name)

    transaction.on_commit(delete)
