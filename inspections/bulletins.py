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
import uuid
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from units.models import Area, Department, User

from . import stats as stats_module
from . import vetoes
from .bulletin_rules import RuleConfig, describe, evaluate, fatal_accidents_of
from .models import (
    Bulletin,
    BulletinAdjustment,
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


def scope_for(bulletin: Bulletin, today: datetime.date) -> stats_module.Scope:
    return stats_module.Scope(
        start=bulletin.period_start,
        end=bulletin.period_end,
        today=today,
        campaign_id=bulletin.campaign_id,
        area_id=bulletin.area_id,
    )


def compute_stats(bulletin: Bulletin, today: datetime.date) -> dict:
    """Figures plus the rule lists, with the thresholds that produced them."""
    config = RuleConfig.from_settings()
    scope = scope_for(bulletin, today)
    data = stats_module.compute(
        scope,
        major_overdue_days=config.veto_major_overdue_days,
        untouched_days=config.criticise_untouched_days,
        list_cap=settings.BULLETIN_PDF_LIST_CAP,
    )
    days = (bulletin.period_end - bulletin.period_start).days + 1
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


def default_texts(data: dict) -> dict[str, str]:
    """Starting text for the editable sections, written from the figures."""
    summary = data["summary"]
    rules = data["rules"]
    today = data["period"]["today_label"]
    problems = []
    if summary["overdue"]["value"]:
        problems.append(
            f"隐患整改不及时。截至{today}，仍有逾期未整改隐患{summary['overdue']['value']}项，"
            f"其中重大隐患{summary['major_overdue']['value']}项，闭环管理不到位。"
        )
    if any("督办" in r for entry in rules["criticise"] for r in entry["reasons"]):
        problems.append("督办落实不力。部分隐患经督办后长时间无任何处理，督办流于形式。")
    if summary["key_inspections"] and summary["key_zero"] * 2 >= summary["key_inspections"]:
        problems.append(
            f"检查质量不高。本期检查重点行业单位{summary['key_inspections']}次，"
            f"其中{summary['key_zero']}次报告“无隐患”，个别检查存在走过场现象。"
        )
    if not problems:
        problems.append("部分单位安全生产主体责任落实不到位，隐患排查治理仍需加强。")
    narrative = "\n".join(f"{'一二三四五'[i]}是{text}" for i, text in enumerate(problems))
    return {
        "narrative": narrative,
        "praise_remarks": "希望受到表扬的部门再接再厉，持续做好隐患排查治理工作。",
        "criticism_remarks": (
            "被通报批评的部门要认真分析原因，逐项制定整改措施，"
            "于本通报印发之日起10个工作日内将整改情况书面报区安委办。"
        ),
        "requirements": "\n".join(
            [
                "一是压实整改责任。对逾期隐患逐项落实责任、措施、资金、时限、预案“五落实”，"
                "整改完成后及时复查销号，重大隐患整改完成后报区安委办验收。",
                "二是提高检查质量。检查要说具体、讲明白，杜绝走过场、流于形式，"
                "对重点行业领域做到检查全覆盖。",
                "三是严格执法问责。对拒不整改或整改不力的单位，依法责令停产整顿、关闭取缔；"
                "对履职不力的部门和人员严肃追责问责。",
            ]
        ),
    }


def build(bulletin_id: int, *, today: datetime.date | None = None) -> Bulletin:
    """Computes the figures and renders the PDF and .xlsx → status ready; any error → failed
    with the message. A bulletin that went to signing is left alone (a redelivered task must not
    change what the leader signs)."""
    today = today or timezone.localdate()
    bulletin = Bulletin.objects.get(pk=bulletin_id)
    if bulletin.status not in Bulletin.EDITABLE_STATUSES:
        return bulletin
    try:
        data = compute_stats(bulletin, today)
        with transaction.atomic():
            locked = Bulletin.objects.select_for_update().get(pk=bulletin_id)
            if locked.status not in Bulletin.EDITABLE_STATUSES:
                return locked
            locked.stats = data
            for field, text in default_texts(data).items():
                if not getattr(locked, field).strip():
                    setattr(locked, field, text)
            old_files = [locked.pdf.name, locked.attachment.name]
            _save_file(locked, "pdf", render_pdf(locked), "pdf")
            _save_file(
                locked, "attachment", attachment_xlsx(locked, scope_for(locked, today)), "xlsx"
            )
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


EDITABLE_TEXTS = ("narrative", "praise_remarks", "criticism_remarks", "requirements")


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


def auto_draft_previous_month(*, today: datetime.date | None = None) -> Bulletin | None:
    """Beat: drafts last month's district bulletin once. The sequence row lock decides, so a
    second beat or a retried task finds the draft and does nothing."""
    today = today or timezone.localdate()
    end = today.replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    actor = (
        User.objects.filter(is_active=True, role__in=[User.Role.OFFICE, User.Role.ADMIN])
        .order_by("id")
        .first()
    )
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


def _title_lines(title: str) -> list[str]:
    """Two-line titles break after 关于 (GB/T 9704 practice)."""
    if len(title) > 20 and "关于" in title:
        head, tail = title.split("关于", 1)
        return [f"{head}关于", tail]
    return [title]


ANNEXES = [
    "各部门隐患排查治理情况统计表",
    "各街道隐患排查治理情况统计表",
    "各行业领域隐患排查治理情况统计表",
    "重点行业领域检查覆盖情况表",
    "逾期未整改隐患清单",
    "未销号重大隐患清单",
    "统计口径和评价规则",
]


def document_context(bulletin: Bulletin, *, links: bool, adjustments=None) -> dict:
    """Template context for the PDF (links=False) and the preview (figures linked)."""
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
        "contact": settings.BULLETIN_CONTACT,
        "number": number,
        "is_draft": not circulated,
        "date_label": stats_module.chinese_date(day),
        "title_lines": _title_lines(bulletin.title),
        "scope_label": bulletin.area.name if bulletin.area_id else "全区",
        "campaign_name": bulletin.campaign.name if bulletin.campaign_id else "",
        "supersedes_number": supersedes.number if supersedes else "",
        "narrative": _paragraphs(bulletin.narrative),
        "praise_remarks": _paragraphs(bulletin.praise_remarks),
        "criticism_remarks": _paragraphs(bulletin.criticism_remarks),
        "requirements": _paragraphs(bulletin.requirements),
        "annexes": ANNEXES,
        "lists": effective_lists(bulletin, adjustments),
        "enforcement_parts": _enforcement_parts(data["enforcement"]),
        "list_cap": settings.BULLETIN_PDF_LIST_CAP,
        "attachment_name": attachment_filename(bulletin),
    }


def _enforcement_parts(enforcement: dict) -> list[str]:
    parts = []
    for kind in enforcement["kinds"]:
        if kind["count"]:
            text = f"{kind['label']}{kind['count']}起"
            if kind["kind"] == "fine":
                text += f"（罚款共计{enforcement['fines_total']}元）"
            parts.append(text)
    return parts


def render_html(bulletin: Bulletin) -> str:
    return render_to_string("bulletins/document.html", document_context(bulletin, links=False))


def render_pdf(bulletin: Bulletin) -> bytes:
    from weasyprint import HTML  # heavy import, only where a PDF is made

    return HTML(string=render_html(bulletin), base_url=str(settings.BASE_DIR)).write_pdf()


def pdf_filename(bulletin: Bulletin) -> str:
    prefix = bulletin.number or "草稿"
    return f"{prefix} {bulletin.title}.pdf"


def attachment_filename(bulletin: Bulletin) -> str:
    prefix = bulletin.number or "草稿"
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


def attachment_xlsx(bulletin: Bulletin, scope: stats_module.Scope) -> bytes:
    """The full overdue and open-major lists (the PDF prints only the first rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from units.xlsx import text_cell

    workbook = Workbook(write_only=True)
    sheets = [
        ("逾期未整改隐患", stats_module.overdue_hazards(scope)),
        ("未销号重大隐患", stats_module.open_major_hazards(scope)),
    ]
    bold = Font(bold=True)
    for name, queryset in sheets:
        sheet = workbook.create_sheet(name)
        for index, (_, _, width) in enumerate(LIST_COLUMNS, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        title = WriteOnlyCell(sheet, f"{bulletin.title}（附件）——{name}，截至{scope.today}")
        title.font = bold
        sheet.append([title])
        header = []
        for label, _, _ in LIST_COLUMNS:
            cell = WriteOnlyCell(sheet, label)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for serial, raw in enumerate(queryset.iterator(chunk_size=2000), start=1):
            row = stats_module.list_row(raw, scope.today)
            values = [serial]
            for _, key, _ in LIST_COLUMNS[1:]:
                value = row[key]
                if key == "escalated":
                    value = "是" if value else ""
                values.append(value)
            sheet.append([text_cell(sheet, value) for value in values])
    buffer = BytesIO()
    workbook.save(buffer)
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
