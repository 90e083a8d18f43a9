"""Checks of scalar arguments, shared by every constructor, config and API call that takes a number or a choice.

Each check returns the value as a plain Python value (numpy scalars become ints and floats, so configs stay
JSON-serialisable) or raises with a message that names the argument, what is allowed and the value given:
``p must be a number in [0, 1], got 1.5``; ``steps must be an int >= 1, got True (a bool)``.

A value of the wrong type raises ``ArgumentTypeError`` (a TypeError, and a ValueError too); a bool is never a
number here, since ``True`` as a step count or a probability is always a slip. A value of the right type outside
what is allowed raises ValueError. ``note`` adds what the bounds mean, in parentheses after them.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections.abc import Collection
from typing import TypeVar

from genaug.errors import ArgumentTypeError

Choice = TypeVar("Choice")

# the value of a setting that asks for it to be decided from the training data or the machine
AUTO = "auto"


def check_int(
    name: str,
    value: object,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    note: str | None = None,
) -> int:
    """``value`` as an int within [minimum, maximum] (either bound optional); numpy integers count, bools do not."""
    allowed = "an int" + _bounds(minimum, maximum, True, True)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(_message(name, allowed, note, _describe(value)))
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ValueError(_message(name, allowed, note, str(number)))
    return number


def check_number(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
    finite: bool = True,
    note: str | None = None,
) -> float:
    """``value`` as a float within the bounds (either optional, each inclusive or not); any real number but a
    bool. NaN is always refused; ``finite=False`` lets ±inf through where the bounds allow it."""
    bounded = minimum is not None and maximum is not None
    kind = "a finite number" if finite and not bounded else "a number"
    allowed = kind + _bounds(minimum, maximum, min_inclusive, max_inclusive)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(_message(name, allowed, note, _describe(value)))
    number = float(value)
    too_low = minimum is not None and (number < minimum if min_inclusive else number <= minimum)
    too_high = maximum is not None and (number > maximum if max_inclusive else number >= maximum)
    if math.isnan(number) or (finite and math.isinf(number)) or too_low or too_high:
        raise ValueError(_message(name, allowed, note, str(value)))  # as given: 0 stays 0, not 0.0
    return number


def check_probability(name: str, value: object) -> float:
    """``value`` as a float in [0, 1]."""
    return check_number(name, value, minimum=0, maximum=1)


def check_choice(name: str, value: object, choices: Collection[Choice], *, note: str | None = None) -> Choice:
    """The one of ``choices`` that equals ``value``, else a ValueError listing them."""
    options = list(choices)
    if value not in options:
        raise ValueError(_message(name, f"one of {options}", note, reprlib.repr(value)))
    return options[options.index(value)]


def _bounds(minimum: float | None, maximum: float | None, min_inclusive: bool, max_inclusive: bool) -> str:
    """`` in [0, 1)``, `` >= 1``, `` < 5`` or nothing."""
    if minimum is not None and maximum is not None:
        return f" in {'[' if min_inclusive else '('}{minimum}, {maximum}{']' if max_inclusive else ')'}"
    if minimum is not None:
        return f" {'>=' if min_inclusive else '>'} {minimum}"
    if maximum is not None:
        return f" {'<=' if max_inclusive else '<'} {maximum}"
    return ""


def _message(name: str, allowed: str, note: str | None, shown: str) -> str:
    return f"{name} must be {allowed}{f' ({note})' if note else ''}, got {shown}"


def _describe(value: object) -> str:
    """A value of the wrong type, with its type: ``True (a bool)``, ``'0.5' (a str)``."""
    if value is None:
        return "None"
    kind = type(value).__name__
    return f"{reprlib.repr(value)} ({'an' if kind[0].lower() in 'aeiou' else 'a'} {kind})"
