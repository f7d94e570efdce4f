import pytest
from django.core.exceptions import ValidationError

from units.validators import (
    credit_check_char,
    credit_code_error,
    credit_code_warning,
    make_credit_code,
    validate_credit_code,
    validate_phone,
)

# Published codes of well-known companies: independent evidence that both check digits are right.
VALID = ["91330100716105852F", "91440300708461136T", "91110108551385082Q", "914403001922038216"]


def test_known_valid_codes_pass():
    for code in VALID:
        assert credit_code_error(code) is None, code


def test_check_char_by_hand():
    # "91330100716105852": Σ value×weight = 884; 884 mod 31 = 16; 31 − 16 = 15 → "F".
    assert credit_check_char("91330100716105852") == "F"


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91110000600037341", "应为18位"),
        ("91110000600037341LX", "应为18位"),
        ("91110000600037341l", "大写"),
        ("91110000600O37341L", "非法字符：O"),
        ("9111A000600037341L", "第3-8位"),
        ("91110000600037341M", "第18位应为“L”"),
    ],
)
def test_invalid_codes_name_the_problem_in_chinese(code, fragment):
    error = credit_code_error(code)
    assert error is not None and fragment in error
    with pytest.raises(ValidationError):
        validate_credit_code(code)


def test_org_code_check_digit_is_a_warning_not_an_error():
    good = make_credit_code("91210106", "MA0XL7E7")
    assert credit_code_error(good) is None
    assert credit_code_warning(good) is None
    # Break only the 17th character and recompute the 18th: valid GB 32100, bad GB 11714.
    body = good[:16] + ("1" if good[16] != "1" else "2")
    tampered = body + credit_check_char(body)
    assert credit_code_error(tampered) is None
    assert "第17位" in credit_code_warning(tampered)


@pytest.mark.parametrize("phone", ["13800138000", "024-12345678", "02412345678", "88886666"])
def test_phone_formats_accepted(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["12345", "1380013800", "abc", "23800138000"])
def test_phone_formats_rejected(phone):
    with pytest.raises(ValidationError, match="电话格式不正确"):
        validate_phone(phone)
