"""Reading the Excel ledgers offices keep: one mechanism for every kind of import.

An import names its columns (a header and the aliases offices really write) in a Layout; this
module finds the header row under title lines and merged cells, reads the rows as
{field: raw value} numbered as Excel numbers them, and converts the cell forms ledgers use
(Excel dates, "2026.3.5", "2026年3月5日", amounts in 元 or 万元). What a row means, and checking
it against the database, is the importing app's business.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.cell import WriteOnlyCell

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A 10 MB upload of XML compresses about 10:1; anything that unpacks far beyond that is a zip bomb.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# Ledgers often carry a title line or two (and a merged "填报单位…" line) above the header row.
HEADER_SEARCH_ROWS = 10


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message is Chinese and meant for the user."""


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class Issue:
    row: int | None  # as Excel shows it; None for the whole file
    column: str
    message: str


@dataclass
class Sheet:
    title: str
    header_row: int  # the last header row when the header takes two rows
    headers: dict[str, str]  # field -> the header text as written in the file
    ignored: list[str]
    rows: list[tuple[int, dict[str, Any]]]

    def column(self, layout: Layout, field_name: str) -> str:
        """The column's name as this file writes it, for messages."""
        return self.headers.get(field_name) or layout.by_field[field_name].header


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    return str(value).strip()


def text_cell(sheet, value: Any) -> WriteOnlyCell:
    """A write-only cell for `value` in which text is always text. openpyxl stores any string
    starting with "=" as a formula; names, addresses and descriptions come from users and
    imported files, and in the office's Excel they must stay data (formula injection)."""
    cell = WriteOnlyCell(sheet, value=value)
    if cell.data_type == "f":
        cell.data_type = "s"
    return cell


def normalize_header(value: Any) -> str:
    text = re.sub(r"\s+", "", cell_text(value))
    return text.replace("(", "（").replace(")", "）").strip("*＊:：")


class Layout:
    """The columns of one kind of ledger. `anchor` is the field whose header identifies the
    header row (with at least `min_known` known columns in the same row)."""

    def __init__(self, columns: tuple[Column, ...], *, anchor: str, min_known: int = 3):
        self.columns = columns
        self.by_field = {c.field: c for c in columns}
        self.anchor = anchor
        self.min_known = min_known
        self._index = {normalize_header(name): c.field for c in columns for name in c.names}

    def field_for_header(self, text: str) -> str | None:
        if text in self._index:
            return self._index[text]
        # "统一社会信用代码（18位）", "治理经费（万元）": a hint in brackets after a known header.
        stem = re.sub(r"（[^（）]*）$", "", text)
        return self._index.get(stem)

    def _known(self, values: tuple) -> tuple[dict[str, str], dict[str, int], list[str], list[str]]:
        headers: dict[str, str] = {}
        positions: dict[str, int] = {}
        ignored: list[str] = []
        duplicates: list[str] = []
        for index, value in enumerate(values):
            text = normalize_header(value)
            if not text:
                continue
            found = self.field_for_header(text)
            if found is None:
                ignored.append(cell_text(value))
            elif found in headers:
                duplicates.append(
                    f"“{headers[found]}”与“{cell_text(value)}”都表示“{self.by_field[found].header}”"
                )
            else:
                headers[found] = cell_text(value)
                positions[found] = index
        return headers, positions, ignored, duplicates

    def _is_second_header(self, values: tuple, positions: dict[str, int]) -> bool:
        """Below a header: every cell under a found column is blank (merged down) or itself a
        known header, and at least one known header names a new field."""
        known = {}
        for index, value in enumerate(values):
            text = normalize_header(value)
            if text:
                known[index] = self.field_for_header(text)
        for index in positions.values():
            if index in known and known[index] is None:
                return False
        return any(f is not None and f not in positions for f in known.values())

    def find_header(self, rows: Iterator[tuple]) -> tuple[int, dict, dict, list, tuple | None]:
        """(header row, headers, positions, ignored, first data row if already read).

        A two-row header (merged group cells such as "整改情况" over "完成日期 | 验收人", with
        序号/单位名称 merged down both rows) is read as one: the second row's known headers are
        added when every column already found is blank in it."""
        anchor = self.by_field[self.anchor].header
        for number, values in enumerate(rows, start=1):
            if number > HEADER_SEARCH_ROWS:
                break
            headers, positions, ignored, duplicates = self._known(values)
            if self.anchor not in headers or len(headers) < self.min_known:
                continue
            following = next(rows, None)
            if following is not None and self._is_second_header(following, positions):
                below, below_positions, below_ignored, _ = self._known(following)
                # A sub-header names its column more precisely than the group above it
                # ("整改情况" over "状态 | 完成日期").
                for field_name, index in below_positions.items():
                    for old in [f for f, i in positions.items() if i == index]:
                        del headers[old], positions[old]
                    if field_name in headers:
                        continue
                    headers[field_name] = below[field_name]
                    positions[field_name] = index
                ignored += below_ignored
                number, following = number + 1, None
            if duplicates:
                raise ImportFileError(f"第{number}行表头有重复的列：{'；'.join(duplicates)}")
            missing = [c.header for c in self.columns if c.required and c.field not in headers]
            if missing:
                raise ImportFileError(
                    f"第{number}行表头缺少必需的列：{'、'.join(missing)}（可下载导入模板对照）"
                )
            return number, headers, positions, ignored, following
        raise ImportFileError(
            f"前{HEADER_SEARCH_ROWS}行中没有找到表头（至少应包含“{anchor}”等列），请使用导入模板"
        )


def open_workbook(source: str | IO[bytes]):
    """Opens a real .xlsx read-only, or raises ImportFileError saying what the file is instead."""
    if hasattr(source, "seek"):
        source.seek(0)
        head = source.read(8)
        source.seek(0)
    else:
        with open(source, "rb") as fh:
            head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            "这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 格式后再上传"
        )
    if not head.startswith(b"PK"):
        raise ImportFileError(
            "文件不是 Excel .xlsx 格式（不支持 .xls、.csv、.et 等），请在 Excel 中另存为 .xlsx 后再上传"
        )
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if hasattr(source, "seek"):
            source.seek(0)
        if unpacked > MAX_UNPACKED_BYTES:
            raise ImportFileError("文件解压后内容过大，请拆分为多个文件分批导入")
        return load_workbook(source, read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged or foreign zip
        raise ImportFileError(
            "无法读取该文件：它不是有效的 Excel .xlsx 文件或已损坏，请在 Excel 中另存为 .xlsx 后再上传"
        ) from None


def read_sheet(source: str | IO[bytes], layout: Layout, *, max_rows: int) -> Sheet:
    """The first visible sheet's data rows as {field: raw cell value}, numbered as in Excel."""
    workbook = open_workbook(source)
    try:
        worksheet = workbook.active or workbook.worksheets[0]
        # Some generators write a wrong <dimension>; read to the real end instead.
        worksheet.reset_dimensions()
        rows = worksheet.iter_rows(values_only=True)
        header_row, headers, positions, ignored, pending = layout.find_header(rows)
        data: list[tuple[int, dict[str, Any]]] = []
        remaining = rows if pending is None else _prepend(pending, rows)
        for number, values in enumerate(remaining, start=header_row + 1):
            cells = {f: values[i] if i < len(values) else None for f, i in positions.items()}
            # Ledgers often number blank rows in advance (序号 1…100): such a row is still empty.
            if not any(cell_text(v) for v in cells.values()):
                continue
            if len(data) >= max_rows:
                raise ImportFileError(f"数据超过{max_rows}行的上限，请拆分为多个文件分批导入")
            data.append((number, cells))
        return Sheet(
            title=worksheet.title,
            header_row=header_row,
            headers=headers,
            ignored=ignored,
            rows=data,
        )
    finally:
        workbook.close()


def _prepend(first: tuple, rest: Iterator[tuple]) -> Iterator[tuple]:
    yield first
    yield from rest


# --- cell forms ---------------------------------------------------------------------------

# Excel's day 0 (its serial dates count from here; the 1900 leap-year bug is before any ledger).
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_DATE_TEXT = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value: Any) -> datetime.date | None:
    """A date as ledgers write it; None for an empty cell; ValueError (Chinese) otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 < value < 80000:  # a date cell whose format was lost: 46086 = 2026-03-05
            return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        text = cell_text(value)
    else:
        text = str(value).strip()
    text = text.translate(str.maketrans("０１２３４５６７８９．／－", "0123456789./-"))
    match = _DATE_TEXT.match(text) or _DATE_DIGITS.match(text)
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise ValueError(f"“{text}”不是有效日期（可写作 2026-03-05、2026.3.5 或 2026年3月5日）")


_TEN_THOUSAND = ("万元", "万")


def parse_amount(value: Any, *, header: str) -> Decimal | None:
    """An amount in 元. The unit is the header's ("治理经费（万元）"), or the cell's own
    ("2.5万元"); a bare number under a bare header is 元."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = cell_text(value).replace(",", "").replace("，", "").replace(" ", "")
    factor = Decimal(10000) if "万" in header else Decimal(1)
    for suffix in _TEN_THOUSAND:
        if text.endswith(suffix):
            text, factor = text.removesuffix(suffix), Decimal(10000)
            break
    else:
        text = text.removesuffix("元")
    try:
        amount = Decimal(text) * factor
    except InvalidOperation:
        raise ValueError(f"“{cell_text(value)}”不是金额") from None
    if amount < 0:
        raise ValueError("金额不能为负数")
    return amount.quantize(Decimal("0.01"))
