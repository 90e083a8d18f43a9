"""The class label of one sample, as the per-image GenerativeAugments read it.

A label is a class index or a class name. An index may be a Python or numpy integer, or an integer tensor or array
holding one value, 0-d or 1-D (``tensor(3)`` and ``tensor([3])`` both mean class 3: the one value is unambiguous,
and datasets often wrap labels so). Anything else where a label belongs (a float, a bool, a tensor of several
values) is an error that says what was found and what is expected.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from typing import Any

import numpy as np
import torch

from genaug.errors import ArgumentTypeError


def as_class_label(value: Any) -> int | str | None:
    """``value`` as a plain label (an int index or a str name), or None when it is not one."""
    if isinstance(value, str):
        return value
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim <= 1 and math.prod(value.shape) == 1:
        value = value.item()  # its dtype decides below: ints pass, floats and bools do not
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return None


def not_a_label(value: Any, expected: str) -> ArgumentTypeError:
    """The error for ``value`` found where a sample's class label belongs; ``expected`` says what belongs there."""
    return ArgumentTypeError(f"found {described(value)} where a class label belongs: {expected}")


def described(value: Any) -> str:
    """``the float 3.0``, ``the str '3'``, ``a tensor of dtype torch.float32 and shape (2,): [0.5, 1.5]``."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        kind = "tensor" if isinstance(value, torch.Tensor) else "numpy array"
        return f"a {kind} of dtype {value.dtype} and shape {tuple(value.shape)}: {reprlib.repr(value.tolist())}"
    return f"the {type(value).__name__} {reprlib.repr(value)}"
