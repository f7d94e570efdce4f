"""The columns an office's unit ledger has, and the cell conversions shared by reading and writing."""

from __future__ import annotations

from anjian.spreadsheets import XLSX_CONTENT_TYPE, Column, Layout, cell_text, text_cell

from ..models import Unit

__all__ = ["COLUMNS", "LAYOUT", "XLSX_CONTENT_TYPE", "Column", "cell_text", "text_cell"]

# Order = the template's and the export's column order. Aliases are headers offices really use.
COLUMNS: tuple[Column, ...] = (
    Column(
        "name", "单位名称", ("企业名称", "场所名称", "单位（场所）名称", "生产经营单位名称"), True
    ),
    Column("credit_code", "统一社会信用代码", ("信用代码", "社会信用代码", "统一信用代码")),
    Column(
        "category",
        "行业类别",
        ("行业领域", "场所类别", "行业/场所类别", "行业（场所）类别", "类别", "行业"),
        True,
    ),
    Column(
        "area",
        "属地（街道）",
        ("属地", "街道", "属地（镇街）", "所属街道", "镇街", "乡镇街道"),
        True,
    ),
    Column("address", "地址", ("单位地址", "详细地址", "经营地址", "场所地址"), True),
    Column(
        "legal_rep",
        "第一责任人",
        ("法定代表人", "主要负责人", "法定代表人（负责人）", "负责人"),
        True,
    ),
    Column(
        "legal_rep_phone",
        "联系电话",
        ("第一责任人电话", "法定代表人电话", "负责人电话", "第一责任人联系电话"),
        True,
    ),
    Column("safety_contact", "安全联系人", ("安全管理人员", "安全负责人")),
    Column("safety_contact_phone", "安全联系人电话", ("安全管理人员电话", "安全负责人电话")),
    Column("lead_department", "牵头部门", ("监管部门", "牵头监管部门", "行业监管部门", "主管部门")),
    Column("status", "经营状态", ("状态", "营业状态")),
    Column("is_illegal", "是否非法场所", ("非法场所", "是否黑窝点")),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
LAYOUT = Layout(COLUMNS, anchor="name")

STATUS_WORDS = {
    **{label: value for value, label in Unit.Status.choices},
    "正常": Unit.Status.OPERATING,
    "营业": Unit.Status.OPERATING,
    "在业": Unit.Status.OPERATING,
    "存续": Unit.Status.OPERATING,
    "停产": Unit.Status.SUSPENDED,
    "停业": Unit.Status.SUSPENDED,
    "停业整顿": Unit.Status.SUSPENDED,
    "关闭": Unit.Status.CLOSED,
    "取缔": Unit.Status.CLOSED,
}
YES_WORDS = {"是", "y", "yes", "true", "1", "√", "非法"}
NO_WORDS = {"否", "n", "no", "false", "0", "×", "合法"}

EXAMPLE_PREFIX = "示例"
