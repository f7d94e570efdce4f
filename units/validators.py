"""Validators for the identifiers a unit carries: 统一社会信用代码 and phone numbers."""

import re

from django.core.exceptions import ValidationError

# GB 32100-2015: 0-9 and A-Y without I, O, S, V, Z; a character's value is its index here.
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714 organisation code: characters 9-16 of the credit code, check digit at 17.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(0\d{2,3}-?)?[1-9]\d{6,7}(-\d{1,6})?$")


def credit_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CHARSET.index(ch) * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_code_check_char(first8: str) -> str:
    remainder = (
        11 - sum(_org_value(ch) * w for ch, w in zip(first8, _ORG_WEIGHTS, strict=True)) % 11
    )
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def credit_code_error(code: str) -> str | None:
    """The Chinese reason a code is invalid, or None when it is a well-formed GB 32100 code."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，当前为{len(code)}位"
    if code != code.upper():
        return "统一社会信用代码须使用大写字母"
    bad = sorted({ch for ch in code if ch not in CREDIT_CHARSET})
    if bad:
        return f"统一社会信用代码含非法字符：{'、'.join(bad)}（不使用 I、O、S、V、Z）"
    if not code[2:8].isdigit():
        return "统一社会信用代码第3-8位（登记管理机关行政区划码）应为数字"
    expected = credit_check_char(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：第18位应为“{expected}”，实为“{code[17]}”"
    return None


def credit_code_warning(code: str) -> str | None:
    """Some registered codes fail the organisation-code check; the office may override it.
    Only meaningful for a code that passed credit_code_error (18 characters)."""
    if len(code) != 18:
        return None
    org = code[8:16]
    if not all(ch.isdigit() or "A" <= ch <= "Z" for ch in org):
        return None
    expected = org_code_check_char(org)
    if code[16] != expected:
        return f"组织机构代码校验位（第17位）应为“{expected}”，实为“{code[16]}”；如核实无误可勾选确认后保存"
    return None


def validate_credit_code(value: str) -> None:
    if not value:
        return
    error = credit_code_error(value)
    if error:
        raise ValidationError(error, code="credit_code")


def validate_phone(value: str) -> None:
    if not value:
        return
    compact = value.replace(" ", "")
    if not (_MOBILE.match(compact) or _LANDLINE.match(compact)):
        raise ValidationError(
            "电话格式不正确：手机号为1开头的11位数字，座机如 024-12345678", code="phone"
        )


def make_credit_code(prefix: str, org8: str) -> str:
    """A valid code from its first 8 characters and an 8-character organisation body (demo data)."""
    first17 = prefix + org8 + org_code_check_char(org8)
    return first17 + credit_check_char(first17)
