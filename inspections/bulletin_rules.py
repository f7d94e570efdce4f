"""表扬 / 通报批评 / 一票否决: the rules, in one place.

Thresholds come from settings (BULLETIN_*), are copied into each bulletin's statistics when it is
built (so the rules printed in its notes are the ones that produced its lists) and are applied to
the per-department rows of `inspections.stats.by_department`. Pure functions: no database.
Ratios are compared as exact decimals, so 19/20 against 95% is exactly on the boundary.

Three principles the office must be able to defend:
- praise needs real work: enough inspections in the period and coverage of the key units in the
  department's remit; a department that did not inspect is never praised;
- doing nothing is named ("组织不力、排查不到位"), not only doing badly;
- no verdict on a tiny denominator: below a minimum of open hazards no overdue rate is judged,
  the overdue hazards themselves are named instead.
Inspection minimums are set per month and scaled to the period (`required_inspections`).
"""

import math
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.conf import settings

from .models.hazards import OVERDUE_DEFINITION
from .stats import RATE_DEFINITIONS, percent, ratio

# The kinds of department the activity and coverage rules apply to; their remit is defined
# (inspections.stats.Remit).
ANSWERABLE_KINDS = ("regulator", "street")


@dataclass(frozen=True)
class RuleConfig:
    praise_min_rate: Decimal
    praise_min_hazards: int
    criticise_overdue_rate: Decimal
    criticise_untouched_days: int
    criticise_zero_rate: Decimal
    criticise_zero_min_inspections: int
    veto_fatal_deaths: int
    veto_major_overdue_days: int
    # Defaults here too: a snapshot stored before these rules existed still reads.
    praise_min_inspections: int = 4  # per month
    praise_min_coverage: Decimal = Decimal("0.3")
    criticise_min_inspections: int = 2  # per month
    criticise_min_coverage: Decimal = Decimal("0.08")
    criticise_overdue_min_open: int = 5

    @classmethod
    def from_settings(cls) -> "RuleConfig":
        return cls(
            # str() first: 0.95 as a float is 0.9499…, which would move the boundary.
            praise_min_rate=Decimal(str(settings.BULLETIN_PRAISE_MIN_RATE)),
            praise_min_hazards=settings.BULLETIN_PRAISE_MIN_HAZARDS,
            criticise_overdue_rate=Decimal(str(settings.BULLETIN_CRITICISE_OVERDUE_RATE)),
            criticise_untouched_days=settings.BULLETIN_CRITICISE_UNTOUCHED_DAYS,
            criticise_zero_rate=Decimal(str(settings.BULLETIN_CRITICISE_ZERO_RATE)),
            criticise_zero_min_inspections=settings.BULLETIN_CRITICISE_ZERO_MIN_INSPECTIONS,
            veto_fatal_deaths=settings.BULLETIN_VETO_FATAL_DEATHS,
            veto_major_overdue_days=settings.BULLETIN_VETO_MAJOR_OVERDUE_DAYS,
            praise_min_inspections=settings.BULLETIN_PRAISE_MIN_INSPECTIONS,
            praise_min_coverage=Decimal(str(settings.BULLETIN_PRAISE_MIN_COVERAGE)),
            criticise_min_inspections=settings.BULLETIN_CRITICISE_MIN_INSPECTIONS,
            criticise_min_coverage=Decimal(str(settings.BULLETIN_CRITICISE_MIN_COVERAGE)),
            criticise_overdue_min_open=settings.BULLETIN_CRITICISE_OVERDUE_MIN_OPEN,
        )

    def to_json(self) -> dict:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> "RuleConfig":
        values = {}
        for name, field in cls.__dataclass_fields__.items():
            if name not in data:
                continue  # an older snapshot: the default
            values[name] = Decimal(data[name]) if field.type in (Decimal, "Decimal") else data[name]
        return cls(**values)


def required_inspections(per_month: int, days: int) -> int:
    """A monthly minimum scaled to a period of `days` days: per_month × days ÷ 31, rounded up,
    so every calendar month asks exactly per_month, a quarter three times that, a two-week
    campaign about half; never below 1 while the minimum is set at all."""
    if per_month <= 0:
        return 0
    return max(1, math.ceil(per_month * days / 31))


def _pct(value: Decimal) -> str:
    return f"{(value * 100).normalize():f}%"


def describe(config: RuleConfig, days: int = 31) -> list[str]:
    """The rules as printed in the bulletin's notes, with the minimums of this period."""
    praise_n = required_inspections(config.praise_min_inspections, days)
    criticise_n = required_inspections(config.criticise_min_inspections, days)
    return [
        f"表扬（同时满足）：本期开展检查不少于{praise_n}次（每月{config.praise_min_inspections}次，"
        f"按统计期间{days}天折算）；职责范围内重点行业单位本期检查覆盖率不低于"
        f"{_pct(config.praise_min_coverage)}（职责范围内无重点行业单位的不考核此项）；"
        f"本期发现隐患不少于{config.praise_min_hazards}项，整改率（本期发现隐患中已销号数÷"
        f"本期发现隐患数，不含不予认定、合并、作废）不低于{_pct(config.praise_min_rate)}，"
        "且无逾期重大隐患、无被点名的逾期隐患；本期未开展检查的部门一律不予表扬；"
        "被通报批评或一票否决的部门不予表扬。",
        f"通报批评（满足任一项）：未销号隐患不少于{config.criticise_overdue_min_open}项且逾期率"
        f"（逾期隐患数÷未销号隐患数）高于{_pct(config.criticise_overdue_rate)}；有隐患被督办"
        f"{config.criticise_untouched_days}日以上仍无任何处理；本期检查重点行业单位不少于"
        f"{config.criticise_zero_min_inspections}次且报告“无隐患”的比例不低于"
        f"{_pct(config.criticise_zero_rate)}（疑似检查走过场）。",
        f"组织不力、排查不到位（予以通报批评）：职责范围内有在册单位的监管部门和街道，本期未开展检查"
        f"或检查少于{criticise_n}次（每月{config.criticise_min_inspections}次，按统计期间{days}天"
        f"折算），或职责范围内重点行业单位本期检查覆盖率低于{_pct(config.criticise_min_coverage)}。",
        f"未销号隐患不足{config.criticise_overdue_min_open}项的部门不计算逾期率、不据此批评，"
        "对其逾期未整改隐患逐项点名。",
        f"一票否决（满足任一项）：本期职责范围内发生亡人事故且死亡人数合计达到"
        f"{config.veto_fatal_deaths}人（监管部门按其牵头监管单位，街道按辖区）；有重大隐患逾期超过"
        f"{config.veto_major_overdue_days}日未整改。一票否决在通报印发时记入按部门、年度的"
        "一票否决台账，供年度考核使用；亡人事故只在其发生的统计期间通报一次，"
        "已记入台账的事故不在此后期间重叠的通报中重复列出。",
        "职责范围：监管部门为其牵头监管的在册单位，街道为辖区内的在册单位（均不含已关闭取缔的单位）；"
        "重点行业单位为重点行业领域的单位（专项检查为其确定的检查行业领域）；覆盖率＝本期被检查的"
        "职责范围内重点行业单位数÷职责范围内重点行业单位数。",
        "隐患按首办负责部门统计，检查按检查部门统计；隐患状态为统计之日的状态。",
        OVERDUE_DEFINITION,
        *RATE_DEFINITIONS,
    ]


def _coverage(row: dict) -> Decimal | None:
    return ratio(row.get("remit_key_inspected", 0), row.get("remit_key_units", 0))


def _coverage_text(row: dict) -> str:
    total, done = row.get("remit_key_units", 0), row.get("remit_key_inspected", 0)
    return f"职责范围内重点行业单位{total}家，本期检查{done}家，覆盖率{percent(done, total)}"


def _small(row: dict, config: RuleConfig) -> bool:
    """Too few open hazards for an overdue rate to mean anything."""
    return row["open"]["value"] < config.criticise_overdue_min_open


def praise_reasons(row: dict, config: RuleConfig, days: int = 31) -> list[str]:
    inspections = row.get("inspections", 0)
    if inspections < max(1, required_inspections(config.praise_min_inspections, days)):
        return []
    coverage = _coverage(row)
    if coverage is not None and coverage < config.praise_min_coverage:
        return []
    rectified = row["found_closed"]["value"]
    effective = row["found_effective"]
    rate = ratio(rectified, effective)
    if effective < config.praise_min_hazards or rate is None:
        return []
    if rate < config.praise_min_rate or row["major_overdue"]["value"] > 0:
        return []
    if _small(row, config) and row["overdue"]["value"] > 0:
        return []  # its overdue hazards are named in this very bulletin
    work = f"本期检查{inspections}次"
    if coverage is not None:
        work += f"，{_coverage_text(row)}"
    return [
        f"{work}；发现隐患{effective}项，已整改销号{rectified}项，整改率"
        f"{percent(rectified, effective)}，无逾期重大隐患"
    ]


def inactivity_reasons(row: dict, config: RuleConfig, days: int = 31) -> list[str]:
    """组织不力、排查不到位: a regulator or street office with units to answer for that hardly
    inspected, or left most of its key units unvisited."""
    if row.get("kind") not in ANSWERABLE_KINDS or not row.get("remit_units"):
        return []
    reasons = []
    inspections = row.get("inspections", 0)
    needed = required_inspections(config.criticise_min_inspections, days)
    if inspections == 0:
        reasons.append("本期未开展检查")
    elif inspections < needed:
        reasons.append(f"本期仅开展检查{inspections}次（少于{needed}次）")
    coverage = _coverage(row)
    if coverage is not None and coverage < config.criticise_min_coverage:
        reasons.append(f"{_coverage_text(row)}，低于{_pct(config.criticise_min_coverage)}")
    if reasons:
        reasons[-1] += "，组织不力、排查不到位"
    return reasons


def criticism_reasons(row: dict, config: RuleConfig, days: int = 31) -> list[str]:
    reasons = inactivity_reasons(row, config, days)
    overdue, open_ = row["overdue"]["value"], row["open"]["value"]
    rate = ratio(overdue, open_)
    if not _small(row, config) and rate is not None and rate > config.criticise_overdue_rate:
        reasons.append(
            f"未销号隐患{open_}项中逾期{overdue}项，逾期率{percent(overdue, open_)}，"
            f"高于{_pct(config.criticise_overdue_rate)}"
        )
    untouched = row["escalated_untouched"]
    if untouched > 0:
        reasons.append(f"{untouched}项隐患督办{config.criticise_untouched_days}日以上仍无任何处理")
    key, zero = row["key_inspections"], row["key_zero"]
    zero_rate = ratio(zero, key)
    if (
        key >= config.criticise_zero_min_inspections
        and zero_rate is not None
        and zero_rate >= config.criticise_zero_rate
    ):
        reasons.append(
            f"检查重点行业单位{key}次，其中{zero}次报告“无隐患”（{percent(zero, key)}），"
            "疑似检查走过场"
        )
    return reasons


def named_overdue(row: dict, config: RuleConfig) -> list[str]:
    """Below the minimum of open hazards: the overdue hazards by number, not a rate."""
    if not _small(row, config) or not row["overdue"]["value"]:
        return []
    hazards = row.get("overdue_hazards")
    if hazards is None:
        return [f"逾期未整改隐患{row['overdue']['value']}项"]
    return [
        f"{h['number']}（{h['unit']}，{h['description'][:30]}，逾期{h['overdue_days']}天）"
        for h in hazards
    ]


def _accident_text(accident: dict, street: bool) -> str:
    where = accident["unit"] or accident["area_name"]
    if street and accident["unit"]:
        where = f"辖区内{where}"
    kind = accident["kind"]
    kind = kind if kind.endswith("事故") else f"{kind}事故"
    return f"{accident['date_label']}{where}发生{kind}，死亡{accident['deaths']}人"


def fatal_accidents_of(row: dict, accidents: list[dict], recorded: set) -> list[dict]:
    """The period's fatal accidents this department answers for (a regulator: its lead units';
    a street office: its area's), less those already in the 一票否决 ledger for it."""
    street = row.get("kind") == "street"
    mine = []
    for accident in accidents:
        if street:
            answers = accident["area"] is not None and accident["area"] == row.get("area_id")
        else:
            answers = accident["lead_department"] == row["id"]
        if answers and (row["id"], accident["id"]) not in recorded:
            mine.append({**accident, "reason": _accident_text(accident, street)})
    return mine


def veto_reasons(row: dict, config: RuleConfig) -> list[str]:
    reasons = []
    listed = row.get("fatal_list")
    if listed is not None:
        # Accidents not yet in the ledger; those already vetoed are not pronounced again.
        if listed and sum(a["deaths"] for a in listed) >= config.veto_fatal_deaths:
            reasons += [f"职责范围内{a['reason']}" for a in listed]
    elif row["fatal_accidents"] > 0 and row["fatal_deaths"] >= config.veto_fatal_deaths:
        reasons.append(
            f"职责范围内发生亡人事故{row['fatal_accidents']}起，死亡{row['fatal_deaths']}人"
        )
    beyond = row["major_overdue_beyond"]["value"]
    if beyond > 0:
        reasons.append(f"{beyond}项重大隐患逾期超过{config.veto_major_overdue_days}日未整改")
    return reasons


def evaluate(rows: list[dict], config: RuleConfig, days: int = 31) -> dict[str, list[dict]]:
    """Praise, criticism and veto lists, each entry naming the department and its reasons,
    plus the hazards named (点名) where the denominator is too small for a rate.

    A veto entry also carries what the ledger records at circulation: the accidents' ids and
    whether overdue major hazards were a cause."""
    result: dict[str, list[dict]] = {"praise": [], "criticise": [], "veto": [], "named": []}
    for row in rows:
        entry = {"department_id": row["id"], "department": row["name"]}
        veto = veto_reasons(row, config)
        criticism = criticism_reasons(row, config, days)
        named = named_overdue(row, config)
        if veto:
            fatal = row.get("fatal_list") or []
            vetoed_fatal = bool(fatal) and sum(a["deaths"] for a in fatal) >= (
                config.veto_fatal_deaths
            )
            result["veto"].append(
                {
                    **entry,
                    "reasons": veto,
                    "accidents": [
                        {"id": a["id"], "occurred_on": a["occurred_on"], "reason": a["reason"]}
                        for a in fatal
                    ]
                    if vetoed_fatal
                    else [],
                    "major_overdue": row["major_overdue_beyond"]["value"] > 0,
                }
            )
        if criticism:
            result["criticise"].append({**entry, "reasons": criticism})
        if named:
            result["named"].append({**entry, "reasons": named})
        if not veto and not criticism:
            praise = praise_reasons(row, config, days)
            if praise:
                result["praise"].append({**entry, "reasons": praise})
    return result
