from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from suppliers.validators import CHARSET, credit_code_check_character, validate_credit_code

# Published codes of well-known companies (Alibaba, Tencent, Xiaomi, a Fujian government unit).
REAL_CODES = [
    "91330100799655058B",
    "91440300708461136T",
    "91110108551385082Q",
    "91350100M000100Y43",
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91330100799655058A", "credit_code_check"),
        ("9133010079965505", "credit_code_length"),
        ("91330100799655058BX", "credit_code_length"),
        ("91330100799655O58B", "credit_code_characters"),  # the letter O is not in the charset
        ("91330100799655058I", "credit_code_characters"),
    ],
)
def test_wrong_codes_are_refused_with_the_reason(code, error):
    with pytest.raises(ValidationError) as refused:
        validate_credit_code(code)
    assert refused.value.code == error


@given(st.text(alphabet=CHARSET, min_size=17, max_size=17), st.integers(0, 16), st.data())
def test_changing_any_one_character_breaks_the_check(first17, position, data):
    code = first17 + credit_code_check_character(first17)
    validate_credit_code(code)
    replacement = data.draw(st.sampled_from([c for c in CHARSET if c != code[position]]))
    broken = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(ValidationError):
        validate_credit_code(broken)
