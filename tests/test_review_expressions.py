"""Expressions read as an attacker writes them."""

from __future__ import annotations

import pytest

from convcalc.model.errors import ConvCalcError
from convcalc.model.expressions import evaluate, parse


def test_the_internal_name_of_in_is_not_a_back_door() -> None:
    # `in` is read internally as __in__; written out, __in__ is an unknown name like
    # every other name starting with _, not a second spelling of in.
    with pytest.raises(ConvCalcError, match="unknown name '__in__'"):
        parse("= __in__ * 2")
    assert evaluate(parse("= in * 2"), {"__in__": 3}) == 6


def test_a_long_chain_of_products_stays_within_the_digit_bound() -> None:
    # 9^73 has 70 digits: allowed. 99^66 has 132: refused while it grows, not after.
    assert evaluate(parse("= " + "*".join(["9"] * 73)), {}) == 9**73
    with pytest.raises(ConvCalcError, match="grows past 100 digits"):
        evaluate(parse("= " + "*".join(["99"] * 66)), {})


def test_deep_parentheses_within_200_characters() -> None:
    assert evaluate(parse("= " + "(" * 98 + "1" + ")" * 98), {}) == 1
