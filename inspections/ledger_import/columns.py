"""The columns of a 隐患排查治理台账 as offices keep it (../shared REFERENCE "Hazard ledger
columns"), with the aliases seen in real ledgers, and the words their cells use."""

from anjian.spreadsheets import Column, Layout

from ..models import Hazard

C = Column
COLUMNS: tuple[Column, ...] = (
    C("number", "隐患编号", ("编号", "隐患序号")),
    C(
        "unit_name",
        "单位名称",
        ("企业名称", "场所名称", "单位（场所）名称", "生产经营单位名称", "被检查单位"),
        True,
    ),
    C("credit_code", "统一社会信用代码", ("信用代码", "社会信用代码", "统一信用代码")),
    C("area", "属地（镇街）", ("属地", "街道", "镇街", "属地（街道）", "所属街道", "乡镇街道")),
    C("category", "行业领域", ("行业类别", "场所类别", "行业（领域）", "行业")),
    C("found_on", "排查日期", ("检查时间", "发现时间", "检查日期", "发现日期", "排查时间"), True),
    C("inspector", "排查人", ("检查人员", "检查人", "排查人员")),
    C("source", "来源", ("隐患来源", "发现方式")),
    C("location", "隐患部位", ("位置", "地点", "部位", "隐患位置")),
    C(
        "description",
        "隐患描述",
        ("存在问题", "隐患内容", "隐患名称", "主要问题", "隐患情况"),
        True,
    ),
    C("hazard_type", "隐患类别", ("隐患类型", "类别")),
    C("level", "隐患等级", ("级别", "等级", "隐患级别"), True),
    # Why a 重大 hazard is 重大 (the standard and clause, or a reason): required for 重大 rows,
    # as on the form and in the API; a 一般 row may leave it empty.
    C(
        "major_basis",
        "判定依据",
        (
            "重大隐患判定依据",
            "判定标准",
            "重大隐患判定标准",
            "判定依据（标准条款）",
            "重大隐患依据",
        ),
    ),
    C("measures", "整改措施", ("治理措施", "整改建议", "整改要求")),
    C("responsible_unit", "整改责任单位", ("责任部门", "责任单位", "整改单位")),
    C("responsible_person", "整改责任人", ("责任人",)),
    C("deadline", "整改期限", ("完成时限", "整改时限", "计划完成治理时间", "整改完成时限")),
    C("funds", "治理经费", ("整改资金", "治理资金", "整改经费", "投入资金")),
    C("state", "整改完成情况", ("状态", "整改情况", "整改状态", "是否整改", "完成情况")),
    C("done_on", "完成日期", ("整改完成日期", "实际完成时间", "完成时间", "整改完成时间")),
    C("verifier", "验收人", ("复查人", "验收人员", "复查人员")),
    C("verified_on", "验收日期", ("复查日期", "验收时间", "复查时间")),
    C("closed_on", "销号日期", ("销号时间",)),
    C("remarks", "备注", ("说明",)),
)
LAYOUT = Layout(COLUMNS, anchor="description", min_known=3)

LEVEL_WORDS = {
    "一般": Hazard.Level.GENERAL,
    "一般隐患": Hazard.Level.GENERAL,
    "一般事故隐患": Hazard.Level.GENERAL,
    "C": Hazard.Level.GENERAL,
    "D": Hazard.Level.GENERAL,
    "重大": Hazard.Level.MAJOR,
    "重大隐患": Hazard.Level.MAJOR,
    "重大事故隐患": Hazard.Level.MAJOR,
    "A": Hazard.Level.MAJOR,
}
# 较大 / B are not levels of the 隐患排查治理 rules (only 一般 and 重大 are): read as 重大 so the
# stricter rules apply, and said so in the preview.
LEVEL_UPGRADED = {
    "较大": Hazard.Level.MAJOR,
    "较大隐患": Hazard.Level.MAJOR,
    "B": Hazard.Level.MAJOR,
}

SOURCE_WORDS = {label: value for value, label in Hazard.Source.choices} | {
    "日常检查": Hazard.Source.INSPECTION,
    "专项检查": Hazard.Source.INSPECTION,
    "企业自查": Hazard.Source.SELF_CHECK,
    "群众举报": Hazard.Source.REPORT,
    "投诉举报": Hazard.Source.REPORT,
}
# Words inside the 隐患类别 cell, first match wins.
TYPE_WORDS = (
    ("特种设备", Hazard.Type.SPECIAL_EQUIPMENT),
    ("电梯", Hazard.Type.SPECIAL_EQUIPMENT),
    ("锅炉", Hazard.Type.SPECIAL_EQUIPMENT),
    ("压力", Hazard.Type.SPECIAL_EQUIPMENT),
    ("危化", Hazard.Type.HAZCHEM),
    ("危险化学品", Hazard.Type.HAZCHEM),
    ("消防", Hazard.Type.FIRE),
    ("火", Hazard.Type.FIRE),
    ("电", Hazard.Type.ELECTRICAL),
    ("建筑", Hazard.Type.CONSTRUCTION),
    ("施工", Hazard.Type.CONSTRUCTION),
    ("交通", Hazard.Type.TRAFFIC),
    ("道路", Hazard.Type.TRAFFIC),
    ("车", Hazard.Type.TRAFFIC),
    ("机械", Hazard.Type.MACHINERY),
    ("设备", Hazard.Type.MACHINERY),
)
DONE_WORDS = {
    "已整改",
    "已完成",
    "完成",
    "整改完成",
    "已销号",
    "销号",
    "整改完毕",
    "已闭环",
    "已验收",
    "是",
    "已整改完成",
    "验收合格",
}
OPEN_WORDS = {
    "未整改",
    "整改中",
    "未完成",
    "正在整改",
    "否",
    "待整改",
    "未销号",
    "逾期未整改",
    "未验收",
    "整改未完成",
    "在整改",
}
