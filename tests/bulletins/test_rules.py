"""表扬 / 通报批评 / 一票否决 rules at their boundaries (pure functions, no database)."""

from decimal import Decimal

import pytest
from django.test import override_settings

from inspections.bulletin_rules import (
    RuleConfig,
    criticism_reasons,
    describe,
    evaluate,
    praise_reasons,
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
    }


def test_praise_at_exactly_95_percent():
    reasons = praise_reasons(row(closed=19, effective=20), CONFIG)
    assert reasons == ["本期发现隐患20项，已整改销号19项，整改率95.0%，无逾期重大隐患"]


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


@override_settings(BULLETIN_PRAISE_MIN_RATE=0.9, BULLETIN_VETO_MAJOR_OVERDUE_DAYS=60)
def test_config_comes_from_settings_and_survives_json():
    config = RuleConfig.from_settings()
    assert config.praise_min_rate == Decimal("0.9")
    assert config.veto_major_overdue_days == 60
    assert RuleConfig.from_json(config.to_json()) == config
    notes = "".join(describe(config))
    assert "不低于90%" in notes and "逾期超过60日" in notes
