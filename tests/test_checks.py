"""genaug.checks: what each check accepts, what it returns, and what its messages say."""

from __future__ import annotations

import math

import numpy as np
import pytest

from genaug.checks import check_choice, check_int, check_number, check_probability
from genaug.errors import ArgumentTypeError, GenaugError


def test_a_wrong_type_is_a_type_error_and_a_value_error():
    with pytest.raises(ArgumentTypeError) as raised:
        check_int("steps", "3")
    assert isinstance(raised.value, TypeError) and isinstance(raised.value, ValueError)
    assert isinstance(raised.value, GenaugError)


# check_int


@pytest.mark.parametrize("value", [0, 7, -3, 10**30, np.int64(7), np.uint8(7), np.int32(-3)])
def test_int_accepts_python_and_numpy_integers_and_returns_a_python_int(value):
    checked = check_int("n", value)
    assert checked == int(value) and type(checked) is int


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (True, r"True \(a bool\)"),
        (np.bool_(False), r".*False_? \(a bool_?\)"),  # numpy 1 and 2 name and show it differently
        (2.0, r"2.0 \(a float\)"),
        ("3", r"'3' \(a str\)"),
        (None, "None"),
        ([1], r"\[1\] \(a list\)"),
        (np.float64(3.0), r".*3\.0\)? \(a float64\)"),
    ],
)
def test_int_refuses_bools_floats_and_other_types_naming_the_type(value, shown):
    with pytest.raises(TypeError, match=rf"^steps must be an int >= 1, got {shown}$"):
        check_int("steps", value, minimum=1)


def test_int_bounds_are_inclusive():
    assert check_int("k", 1, minimum=1, maximum=3) == 1
    assert check_int("k", 3, minimum=1, maximum=3) == 3
    with pytest.raises(ValueError, match=r"^k must be an int in \[1, 3\], got 0$"):
        check_int("k", 0, minimum=1, maximum=3)
    with pytest.raises(ValueError, match=r"^k must be an int in \[1, 3\], got 4$"):
        check_int("k", np.int64(4), minimum=1, maximum=3)
    with pytest.raises(ValueError, match=r"^k must be an int <= 3, got 4$"):
        check_int("k", 4, maximum=3)


def test_int_range_errors_are_plain_value_errors():
    with pytest.raises(ValueError) as raised:
        check_int("seed", -1, minimum=0)
    assert not isinstance(raised.value, TypeError)
    assert str(raised.value) == "seed must be an int >= 0, got -1"


def test_a_note_follows_the_bounds():
    with pytest.raises(ValueError, match=r"^steps must be an int >= 2 \(the two end points included\), got 1$"):
        check_int("steps", 1, minimum=2, note="the two end points included")
    with pytest.raises(TypeError, match=r"^bank_size must be an int >= 1 \(or None: by device\), got 2.5 \(a float\)$"):
        check_int("bank_size", 2.5, minimum=1, note="or None: by device")


# check_number


@pytest.mark.parametrize("value", [0, 0.25, 3, np.float32(0.5), np.float64(2.5), np.int64(2)])
def test_number_accepts_reals_and_returns_a_python_float(value):
    checked = check_number("x", value, minimum=0)
    assert checked == float(value) and type(checked) is float


@pytest.mark.parametrize(
    ("value", "shown"),
    [(True, r"True \(a bool\)"), ("0.5", r"'0.5' \(a str\)"), (None, "None"), (1j, r"1j \(a complex\)")],
)
def test_number_refuses_bools_and_non_reals(value, shown):
    with pytest.raises(TypeError, match=rf"^lr must be a number > 0, got {shown}$") as raised:
        check_number("lr", value, minimum=0, min_inclusive=False, finite=False)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("value", [math.nan, np.float64("nan"), math.inf, -math.inf])
def test_number_refuses_nan_and_inf_by_default(value):
    with pytest.raises(ValueError, match=rf"^temperature must be a finite number >= 0, got {float(value)}$"):
        check_number("temperature", value, minimum=0)
    with pytest.raises(ValueError, match=rf"^t must be a finite number, got {float(value)}$"):
        check_number("t", value)


def test_finite_false_lets_infinity_through_but_never_nan():
    assert check_number("budget", math.inf, minimum=0, finite=False) == math.inf
    assert check_number("x", -math.inf, finite=False) == -math.inf
    with pytest.raises(ValueError, match=r"^budget must be a number >= 0 \(megabytes\), got nan$"):
        check_number("budget", math.nan, minimum=0, finite=False, note="megabytes")
    with pytest.raises(ValueError, match="^x must be a number, got nan$"):
        check_number("x", math.nan, finite=False)
    with pytest.raises(ValueError, match=r"^x must be a number <= 1, got inf$"):
        check_number("x", math.inf, maximum=1, finite=False)


@pytest.mark.parametrize(
    ("min_inclusive", "max_inclusive", "interval"),
    [(True, True, r"\[0, 1\]"), (True, False, r"\[0, 1\)"), (False, True, r"\(0, 1\]"), (False, False, r"\(0, 1\)")],
)
def test_number_bounds_are_inclusive_or_not_as_asked(min_inclusive, max_inclusive, interval):
    bounds = {"minimum": 0, "maximum": 1, "min_inclusive": min_inclusive, "max_inclusive": max_inclusive}
    assert check_number("q", 0.5, **bounds) == 0.5
    for edge, inclusive in ((0, min_inclusive), (1, max_inclusive)):
        if inclusive:
            assert check_number("q", edge, **bounds) == edge
        else:
            with pytest.raises(ValueError, match=rf"^q must be a number in {interval}, got {edge}$"):
                check_number("q", edge, **bounds)
    for outside in (-0.1, 1.1):
        with pytest.raises(ValueError, match=rf"^q must be a number in {interval}, got {outside}$"):
            check_number("q", outside, **bounds)


def test_one_sided_number_bounds():
    assert check_number("lr", 1e-9, minimum=0, min_inclusive=False) == 1e-9
    with pytest.raises(ValueError, match=r"^lr must be a finite number > 0, got 0.0$"):
        check_number("lr", 0.0, minimum=0, min_inclusive=False)
    assert check_number("x", 4.999, maximum=5, max_inclusive=False) == 4.999
    with pytest.raises(ValueError, match=r"^x must be a finite number < 5, got 5$"):
        check_number("x", 5, maximum=5, max_inclusive=False)


# check_probability


@pytest.mark.parametrize("value", [0, 0.0, 0.5, 1, 1.0, np.float32(0.25)])
def test_probability_accepts_zero_to_one_inclusive(value):
    assert check_probability("p", value) == float(value)


@pytest.mark.parametrize("value", [-0.1, 1.5, math.nan, math.inf])
def test_probability_refuses_values_outside_zero_to_one(value):
    with pytest.raises(ValueError, match=rf"^p must be a number in \[0, 1\], got {float(value)}$"):
        check_probability("p", value)


def test_probability_refuses_a_bool():
    with pytest.raises(TypeError, match=r"^p must be a number in \[0, 1\], got True \(a bool\)$"):
        check_probability("p", True)


# check_choice


def test_choice_returns_the_matching_choice():
    assert check_choice("mode", "perturb", ("replace", "perturb")) == "perturb"
    assert check_choice("architecture", "resnet", {"small_cnn": 1, "resnet": 2}) == "resnet"  # a mapping's keys
    assert check_choice("channels", np.int64(3), (1, 3)) == 3 and type(check_choice("c", np.int64(3), (1, 3))) is int


def test_choice_lists_the_choices_and_the_value_given():
    with pytest.raises(ValueError, match=r"^mode must be one of \['replace', 'perturb'\], got 'swap'$") as raised:
        check_choice("mode", "swap", ("replace", "perturb"))
    assert not isinstance(raised.value, TypeError)
    with pytest.raises(ValueError, match=r"^channels must be one of \[1, 3\] \(grayscale or RGB\), got 2$"):
        check_choice("channels", 2, (1, 3), note="grayscale or RGB")
    with pytest.raises(ValueError, match=r"^precision must be one of \['32', 'bf16'\], got 32$"):
        check_choice("precision", 32, ("32", "bf16"))  # no conversion: the int 32 is not the string '32'


def test_choice_takes_unhashable_values_and_shortens_long_ones():
    with pytest.raises(ValueError, match=r"got \['replace'\]$"):
        check_choice("mode", ["replace"], {"replace", "perturb"})
    with pytest.raises(ValueError, match=r"got 'x{5,}\.\.\.x+'$"):
        check_choice("mode", "x" * 500, ("replace",))
