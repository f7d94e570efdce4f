"""表扬 / 通报批评 / 一票否决 rules at their boundaries (pure functions, no database)."""

from decimal import Decimal

import pytest
from django.test import override_settings

from inspections.bulletin_rules import (
    RuleConfig,
    criticism_reasons,
    describe,
    evaluate,
    fatal_accidents_of,
    named_overdue,
    praise_reasons,
    required_inspections,
    veto_reasons,
)

CONFIG = RuleConfig(
    praise_min_rate=Decimal("0.95"),
    praise_min_hazards=1,
    criticise_overdue_rate=Decimal("0.20"),
    criticise_untouched_days=5,
    criticise_zero_rate=Decimal("0.90"),
    criticise_zero_min_inspections=10,
    veto_fatal_deaths=1,
    veto_major_overdue_days=30,
    praise_min_inspections=4,
    praise_min_coverage=Decimal("0.5"),
    criticise_min_inspections=2,
    criticise_min_coverage=Decimal("0.2"),
    criticise_overdue_min_open=5,
)


def row(
    *,
    closed=0,
    effective=0,
    open_=0,
    overdue=0,
    major_overdue=0,
    beyond=0,
    untouched=0,
    key=0,
    zero=0,
    fatal=0,
    deaths=0,
    pk=1,
    name="区消防救援大队",
    kind="regulator",
    inspections=4,
    remit=0,
    key_units=0,
    key_inspected=0,
    area=None,
) -> dict:
    def f(value):
        return {"value": value, "query": ""}

    return {
        "id": pk,
        "name": name,
        "found_closed": f(closed),
        "found_effective": effective,
        "open": f(open_),
        "overdue": f(overdue),
        "major_overdue": f(major_overdue),
        "major_overdue_beyond": f(beyond),
        "escalated_untouched": untouched,
        "key_inspections": key,
        "key_zero": zero,
        "fatal_accidents": fatal,
        "fatal_deaths": deaths,
        "kind": kind,
        "area_id": area,
        "inspections": inspections,
        "remit_units": remit,
        "remit_key_units": key_units,
        "remit_key_inspected": key_inspected,
    }


def test_praise_at_exactly_95_percent():
    reasons = praise_reasons(row(closed=19, effective=20), CONFIG)
    assert reasons == ["本期检查4次；发现隐患20项，已整改销号19项，整改率95.0%，无逾期重大隐患"]


def test_no_praise_just_below_95_percent():
    # 94.99…%: 1899/2000.
    assert praise_reasons(row(closed=1899, effective=2000), CONFIG) == []


def test_no_praise_with_one_overdue_major_hazard():
    assert praise_reasons(row(closed=20, effective=20, major_overdue=1), CONFIG) == []


def test_no_praise_without_hazards_to_rectify():
    assert praise_reasons(row(closed=0, effective=0), CONFIG) == []


def test_praise_needs_the_minimum_number_of_hazards():
    config = RuleConfig(**{**CONFIG.__dict__, "praise_min_hazards": 5})
    assert praise_reasons(row(closed=4, effective=4), config) == []
    assert praise_reasons(row(closed=5, effective=5), config) != []


def test_overdue_rate_of_exactly_20_percent_is_not_criticised():
    assert criticism_reasons(row(open_=5, overdue=1), CONFIG) == []


def test_overdue_rate_just_above_20_percent_is_criticised():
    reasons = criticism_reasons(row(open_=1000, overdue=201), CONFIG)
    assert reasons == ["未销号隐患1000项中逾期201项，逾期率20.1%，高于20%"]


def test_no_open_hazards_is_not_an_overdue_rate():
    assert criticism_reasons(row(open_=0, overdue=0), CONFIG) == []


def test_one_untouched_escalated_hazard_is_criticised():
    assert criticism_reasons(row(untouched=0), CONFIG) == []
    assert criticism_reasons(row(untouched=1), CONFIG) == ["1项隐患督办5日以上仍无任何处理"]


@pytest.mark.parametrize(
    ("key", "zero", "criticised"),
    [
        (10, 9, True),  # exactly 90% over exactly the minimum
        (10, 8, False),  # 80%
        (9, 9, False),  # 100% but one inspection short of a pattern
        (20, 18, True),
        (20, 17, False),
    ],
)
def test_zero_hazard_pattern_boundaries(key, zero, criticised):
    reasons = criticism_reasons(row(key=key, zero=zero), CONFIG)
    assert bool(reasons) is criticised
    if criticised:
        assert f"检查重点行业单位{key}次，其中{zero}次报告“无隐患”" in reasons[0]


def test_fatal_accident_vetoes():
    assert veto_reasons(row(fatal=0, deaths=0), CONFIG) == []
    assert veto_reasons(row(fatal=1, deaths=1), CONFIG) == ["职责范围内发生亡人事故1起，死亡1人"]


def test_fatal_threshold_is_configurable():
    config = RuleConfig(**{**CONFIG.__dict__, "veto_fatal_deaths": 3})
    assert veto_reasons(row(fatal=2, deaths=2), config) == []
    assert veto_reasons(row(fatal=2, deaths=3), config) != []


def test_major_hazard_overdue_beyond_the_limit_vetoes():
    assert veto_reasons(row(beyond=0, major_overdue=4), CONFIG) == []
    assert veto_reasons(row(beyond=2), CONFIG) == ["2项重大隐患逾期超过30日未整改"]


def test_evaluate_never_praises_a_criticised_or_vetoed_department():
    rows = [
        row(pk=1, name="甲", closed=20, effective=20),
        row(pk=2, name="乙", closed=20, effective=20, open_=4, overdue=1, untouched=1),
        row(pk=3, name="丙", closed=20, effective=20, fatal=1, deaths=2),
        row(pk=4, name="丁", open_=10, overdue=3, beyond=1),
    ]
    result = evaluate(rows, CONFIG)
    assert [e["department"] for e in result["praise"]] == ["甲"]
    assert [e["department"] for e in result["criticise"]] == ["乙", "丁"]
    assert [e["department"] for e in result["veto"]] == ["丙", "丁"]
    # Each entry says why, with the numbers.
    assert result["criticise"][1]["reasons"] == ["未销号隐患10项中逾期3项，逾期率30.0%，高于20%"]


@override_settings(
    BULLETIN_PRAISE_MIN_RATE=0.9,
    BULLETIN_VETO_MAJOR_OVERDUE_DAYS=60,
    BULLETIN_PRAISE_MIN_INSPECTIONS=6,
    BULLETIN_CRITICISE_MIN_COVERAGE=0.25,
    BULLETIN_CRITICISE_OVERDUE_MIN_OPEN=8,
)
def test_config_comes_from_settings_and_survives_json():
    config = RuleConfig.from_settings()
    assert config.praise_min_rate == Decimal("0.9")
    assert config.veto_major_overdue_days == 60
    assert (config.praise_min_inspections, config.criticise_overdue_min_open) == (6, 8)
    assert config.criticise_min_coverage == Decimal("0.25")
    assert RuleConfig.from_json(config.to_json()) == config
    notes = "".join(describe(config))
    assert "不低于90%" in notes and "逾期超过60日" in notes
    assert "不少于6次（每月6次" in notes and "低于25%" in notes and "不足8项" in notes


def test_a_snapshot_from_before_the_new_rules_still_reads():
    old = {k: v for k, v in CONFIG.to_json().items() if k != "criticise_overdue_min_open"}
    assert RuleConfig.from_json(old).criticise_overdue_min_open == 5


def test_every_threshold_is_printed_in_the_notes():
    config = RuleConfig(
        praise_min_rate=Decimal("0.93"),
        praise_min_hazards=7,
        criticise_overdue_rate=Decimal("0.17"),
        criticise_untouched_days=11,
        criticise_zero_rate=Decimal("0.83"),
        criticise_zero_min_inspections=13,
        veto_fatal_deaths=3,
        veto_major_overdue_days=41,
        praise_min_inspections=9,
        praise_min_coverage=Decimal("0.57"),
        criticise_min_inspections=3,
        criticise_min_coverage=Decimal("0.19"),
        criticise_overdue_min_open=6,
    )
    notes = "".join(describe(config, days=92))
    for printed in [
        "不低于93%",
        "不少于7项",
        "高于17%",
        "督办11日以上",
        "不低于83%",
        "不少于13次",
        "达到3人",
        "逾期超过41日",
        "不少于27次（每月9次，按统计期间92天折算）",  # 9 × 92 ÷ 31 → 27
        "覆盖率不低于57%",
        "少于9次（每月3次",  # 3 × 92 ÷ 31 → 9
        "覆盖率低于19%",
        "未销号隐患不少于6项",
        "不足6项的部门不计算逾期率",
        "一票否决台账",
    ]:
        assert printed in notes, printed


# --- inspections per period -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_month", "days", "needed"),
    [
        (4, 31, 4),
        (4, 30, 4),
        (4, 28, 4),  # every calendar month asks the monthly number
        (4, 92, 12),  # a quarter, three times
        (4, 14, 2),  # a two-week campaign
        (2, 1, 1),  # never below one while set
        (0, 31, 0),  # switched off
    ],
)
def test_monthly_minimum_scaled_to_the_period(per_month, days, needed):
    assert required_inspections(per_month, days) == needed


# --- praise needs real work -------------------------------------------------------------------


def test_praise_needs_the_minimum_of_inspections():
    assert praise_reasons(row(closed=20, effective=20, inspections=3), CONFIG) == []
    assert praise_reasons(row(closed=20, effective=20, inspections=4), CONFIG) != []
    # Over a quarter the same monthly rule asks 12.
    assert praise_reasons(row(closed=20, effective=20, inspections=11), CONFIG, days=92) == []
    assert praise_reasons(row(closed=20, effective=20, inspections=12), CONFIG, days=92) != []


def test_a_department_with_no_inspections_is_never_praised():
    lax = RuleConfig(**{**CONFIG.__dict__, "praise_min_inspections": 0})
    perfect = row(closed=50, effective=50, inspections=0)
    assert praise_reasons(perfect, lax) == []
    assert evaluate([perfect], lax)["praise"] == []
    assert praise_reasons(row(closed=50, effective=50, inspections=1), lax) != []


def test_praise_needs_the_coverage_of_key_units_in_the_remit():
    def r(inspected):
        return row(closed=20, effective=20, remit=30, key_units=10, key_inspected=inspected)

    assert praise_reasons(r(4), CONFIG) == []  # 40%
    reasons = praise_reasons(r(5), CONFIG)  # exactly 50%
    assert reasons == [
        "本期检查4次，职责范围内重点行业单位10家，本期检查5家，覆盖率50.0%；"
        "发现隐患20项，已整改销号20项，整改率100.0%，无逾期重大隐患"
    ]
    # No key unit in the remit: coverage is not asked.
    assert praise_reasons(row(closed=20, effective=20, remit=3, key_units=0), CONFIG) != []


# --- 组织不力、排查不到位 ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["regulator", "street"])
@pytest.mark.parametrize(
    ("inspections", "expected"),
    [
        (0, ["本期未开展检查，组织不力、排查不到位"]),
        (1, ["本期仅开展检查1次（少于2次），组织不力、排查不到位"]),
        (2, []),
    ],
)
def test_inactivity_is_criticised(kind, inspections, expected):
    assert criticism_reasons(row(kind=kind, remit=5, inspections=inspections), CONFIG) == expected


def test_inactivity_over_a_quarter_is_judged_on_the_scaled_minimum():
    assert criticism_reasons(row(remit=5, inspections=5), CONFIG, days=92) == [
        "本期仅开展检查5次（少于6次），组织不力、排查不到位"
    ]
    assert criticism_reasons(row(remit=5, inspections=6), CONFIG, days=92) == []


def test_no_inactivity_verdict_without_units_in_the_remit_or_for_other_bodies():
    assert criticism_reasons(row(remit=0, inspections=0), CONFIG) == []
    assert criticism_reasons(row(kind="other", remit=5, inspections=0), CONFIG) == []


def test_key_unit_coverage_below_the_threshold_is_criticised():
    def r(inspected):
        return row(remit=40, key_units=10, key_inspected=inspected)

    assert criticism_reasons(r(2), CONFIG) == []  # exactly 20%: not below
    assert criticism_reasons(r(1), CONFIG) == [
        "职责范围内重点行业单位10家，本期检查1家，覆盖率10.0%，低于20%，组织不力、排查不到位"
    ]
    both = criticism_reasons(row(remit=40, key_units=10, key_inspected=0, inspections=0), CONFIG)
    assert both == [
        "本期未开展检查",
        "职责范围内重点行业单位10家，本期检查0家，覆盖率0.0%，低于20%，组织不力、排查不到位",
    ]


# --- no verdict on tiny denominators ------------------------------------------------------


def test_no_overdue_rate_below_the_minimum_of_open_hazards():
    # 4 of 4 overdue would be "100%": no rate, no criticism; the hazards are named.
    tiny = row(open_=4, overdue=4)
    assert criticism_reasons(tiny, CONFIG) == []
    assert named_overdue(tiny, CONFIG) == ["逾期未整改隐患4项"]
    # At the minimum the rate is judged, and nothing is named.
    five = row(open_=5, overdue=2)
    assert criticism_reasons(five, CONFIG) == ["未销号隐患5项中逾期2项，逾期率40.0%，高于20%"]
    assert named_overdue(five, CONFIG) == []
    assert named_overdue(row(open_=3, overdue=0), CONFIG) == []


def test_named_hazards_say_which_and_how_late():
    tiny = row(open_=2, overdue=1)
    tiny["overdue_hazards"] = [
        {
            "number": "YH-2026-000028",
            "unit": "某化工厂",
            "description": "储罐区防火堤破损",
            "overdue_days": 9,
        }
    ]
    assert named_overdue(tiny, CONFIG) == ["YH-2026-000028（某化工厂，储罐区防火堤破损，逾期9天）"]
    result = evaluate([tiny], CONFIG)
    assert result["criticise"] == [] and result["named"][0]["department"] == "区消防救援大队"


def test_a_department_whose_overdue_hazards_are_named_is_not_praised():
    assert praise_reasons(row(closed=40, effective=40, open_=2, overdue=1), CONFIG) == []
    assert praise_reasons(row(closed=40, effective=40, open_=2, overdue=0), CONFIG) != []


# --- 一票否决 once per accident -------------------------------------------------------------


ACCIDENTS = [
    {
        "id": 7,
        "occurred_on": "2026-06-08",
        "date_label": "2026年6月8日",
        "kind": "中毒窒息",
        "deaths": 1,
        "unit": "某化工厂",
        "lead_department": 2,
        "area": 9,
        "area_name": "兴华街道",
    }
]


def test_fatal_accident_is_answered_for_by_the_regulator_and_the_street():
    regulator = fatal_accidents_of(row(pk=2, name="区应急管理局"), ACCIDENTS, set())
    assert [a["reason"] for a in regulator] == ["2026年6月8日某化工厂发生中毒窒息事故，死亡1人"]
    street = fatal_accidents_of(row(pk=5, kind="street", area=9), ACCIDENTS, set())
    assert [a["reason"] for a in street] == ["2026年6月8日辖区内某化工厂发生中毒窒息事故，死亡1人"]
    assert fatal_accidents_of(row(pk=3), ACCIDENTS, set()) == []
    assert fatal_accidents_of(row(pk=6, kind="street", area=10), ACCIDENTS, set()) == []


def test_an_accident_already_in_the_ledger_is_not_vetoed_again():
    dept = row(pk=2, name="区应急管理局", fatal=1, deaths=1)
    dept["fatal_list"] = fatal_accidents_of(dept, ACCIDENTS, set())
    first = evaluate([dept], CONFIG)["veto"]
    assert first[0]["reasons"] == ["职责范围内2026年6月8日某化工厂发生中毒窒息事故，死亡1人"]
    assert [a["id"] for a in first[0]["accidents"]] == [7]
    dept["fatal_list"] = fatal_accidents_of(dept, ACCIDENTS, {(2, 7)})
    assert evaluate([dept], CONFIG)["veto"] == []
    # Another department's entry for the same accident does not hide this one's.
    dept["fatal_list"] = fatal_accidents_of(dept, ACCIDENTS, {(5, 7)})
    assert evaluate([dept], CONFIG)["veto"] != []


def test_deaths_threshold_counts_the_accidents_not_yet_vetoed():
    config = RuleConfig(**{**CONFIG.__dict__, "veto_fatal_deaths": 2})
    dept = row(pk=2, fatal=1, deaths=1)
    dept["fatal_list"] = fatal_accidents_of(dept, ACCIDENTS, set())
    assert veto_reasons(dept, config) == []
    second = {**ACCIDENTS[0], "id": 8, "occurred_on": "2026-06-10", "date_label": "2026年6月10日"}
    dept["fatal_list"] = fatal_accidents_of(dept, [*ACCIDENTS, second], set())
    assert len(veto_reasons(dept, config)) == 2
