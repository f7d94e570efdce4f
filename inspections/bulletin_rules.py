"""表扬 / 通报批评 / 一票否决: the rules, in one place.

Thresholds come from settings (BULLETIN_*), are copied into each bulletin's statistics when it is
built (so the rules printed in its notes are the ones that produced its lists) and are applied to
the per-department rows of `inspections.stats.by_department`. Pure functions: no database.
Ratios are compared as exact decimals, so 19/20 against 95% is exactly on the boundary.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal

from django.conf import settings

from .models.hazards import OVERDUE_DEFINITION
from .stats import RATE_DEFINITIONS, percent, ratio


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
        )

    def to_json(self) -> dict:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> "RuleConfig":
        values = {}
        for name, field in cls.__dataclass_fields__.items():
            values[name] = Decimal(data[name]) if field.type in (Decimal, "Decimal") else data[name]
        return cls(**values)


def _pct(value: Decimal) -> str:
    return f"{(value * 100).normalize():f}%"


def describe(config: RuleConfig) -> list[str]:
    """The rules as printed in the bulletin's notes."""
    return [
        f"表扬：本期发现隐患不少于{config.praise_min_hazards}项，整改率（本期发现隐患中已销号数÷"
        f"本期发现隐患数，不含不予认定、合并、作废）不低于{_pct(config.praise_min_rate)}，"
        "且无逾期重大隐患；被通报批评或一票否决的部门不予表扬。",
        f"通报批评（满足任一项）：逾期率（逾期隐患数÷未销号隐患数）高于"
        f"{_pct(config.criticise_overdue_rate)}；有隐患被督办{config.criticise_untouched_days}日以上"
        f"仍无任何处理；本期检查重点行业单位不少于{config.criticise_zero_min_inspections}次且"
        f"报告“无隐患”的比例不低于{_pct(config.criticise_zero_rate)}（疑似检查走过场）。",
        f"一票否决（满足任一项）：本期职责范围内发生亡人事故且死亡人数合计达到"
        f"{config.veto_fatal_deaths}人（监管部门按其牵头监管单位，街道按辖区）；有重大隐患逾期超过"
        f"{config.veto_major_overdue_days}日未整改。",
        "隐患按首办负责部门统计，检查按检查部门统计；隐患状态为统计之日的状态。",
        OVERDUE_DEFINITION,
        *RATE_DEFINITIONS,
    ]


def praise_reasons(row: dict, config: RuleConfig) -> list[str]:
    rectified = row["found_closed"]["value"]
    effective = row["found_effective"]
    rate = ratio(rectified, effective)
    if effective < config.praise_min_hazards or rate is None:
        return []
    if rate < config.praise_min_rate or row["major_overdue"]["value"] > 0:
        return []
    return [
        f"本期发现隐患{effective}项，已整改销号{rectified}项，整改率"
        f"{percent(rectified, effective)}，无逾期重大隐患"
    ]


def criticism_reasons(row: dict, config: RuleConfig) -> list[str]:
    reasons = []
    overdue, open_ = row["overdue"]["value"], row["open"]["value"]
    rate = ratio(overdue, open_)
    if rate is not None and rate > config.criticise_overdue_rate:
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


def veto_reasons(row: dict, config: RuleConfig) -> list[str]:
    reasons = []
    if row["fatal_accidents"] > 0 and row["fatal_deaths"] >= config.veto_fatal_deaths:
        reasons.append(
            f"职责范围内发生亡人事故{row['fatal_accidents']}起，死亡{row['fatal_deaths']}人"
        )
    beyond = row["major_overdue_beyond"]["value"]
    if beyond > 0:
        reasons.append(f"{beyond}项重大隐患逾期超过{config.veto_major_overdue_days}日未整改")
    return reasons


def evaluate(rows: list[dict], config: RuleConfig) -> dict[str, list[dict]]:
    """Praise, criticism and veto lists, each entry naming the department and its reasons."""
    result: dict[str, list[dict]] = {"praise": [], "criticise": [], "veto": []}
    for row in rows:
        entry = {"department_id": row["id"], "department": row["name"]}
        veto = veto_reasons(row, config)
        criticism = criticism_reasons(row, config)
        if veto:
            result["veto"].append({**entry, "reasons": veto})
        if criticism:
            result["criticise"].append({**entry, "reasons": criticism})
        if not veto and not criticism:
            praise = praise_reasons(row, config)
            if praise:
                result["praise"].append({**entry, "reasons": praise})
    return result
