"""How many rows an over-sampler adds to each class: imbalanced-learn's ``sampling_strategy`` meanings.

The meanings (as documented for imbalanced-learn's over-samplers such as SMOTE):

- "auto" or "not majority": every class but the majority is raised to the majority's count;
  "minority": only the smallest class; "not minority": every class but the smallest; "all": every class.
  Ties go to the first class in sorted label order.
- a float r in (0, 1], binary problems only: the minority class is raised to ``int(r * majority count)``.
- a dict ``{class: count}``: each listed class is raised to ``count`` rows (at least the count it has).
- a callable: ``f(y)`` returns such a dict.

The arguments are checked here, with messages naming the offending class; imbalanced-learn's own
``check_sampling_strategy`` then computes the counts when it is installed (so both libraries agree), and the
same rules below compute them when it is not.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

STRATEGY_NAMES = ("auto", "not majority", "minority", "not minority", "all")

SamplingStrategy = str | float | dict[Any, int] | Callable[[np.ndarray], dict[Any, int]]


def over_sampling_targets(sampling_strategy: SamplingStrategy, y: np.ndarray) -> dict[Any, int]:
    """``{class label: rows to add}`` for the labels ``y``, in sorted label order (labels as Python scalars)."""
    labels, counts = np.unique(y, return_counts=True)
    have = dict(zip(labels.tolist(), counts.tolist(), strict=True))
    if len(have) < 2:
        raise ValueError(f"y holds only the class {labels.tolist()}; over-sampling needs at least two classes")
    strategy = _checked(sampling_strategy, y, have)
    check = _imblearn_check_sampling_strategy()
    targets = check(strategy, y, "over-sampling") if check is not None else _targets(strategy, have)
    return {_scalar(label): int(n) for label, n in sorted(targets.items())}


def _scalar(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label


def _imblearn_check_sampling_strategy() -> Callable | None:
    """imbalanced-learn's own checker, or None when imbalanced-learn is not installed."""
    try:
        from imblearn.utils import check_sampling_strategy
    except ImportError:
        return None
    return check_sampling_strategy


def _checked(strategy: Any, y: np.ndarray, have: dict[Any, int]) -> str | float | dict[Any, int]:
    """The strategy with a callable resolved to its dict, after checks whose messages name what is wrong."""
    if isinstance(strategy, str):
        if strategy not in STRATEGY_NAMES:
            why = " (an over-sampler never adds rows to the majority class)" if strategy == "majority" else ""
            raise ValueError(f"sampling_strategy={strategy!r} is not one of {list(STRATEGY_NAMES)}{why}")
        return strategy
    if isinstance(strategy, numbers.Real) and not isinstance(strategy, bool):
        if not 0 < strategy <= 1:
            raise ValueError(f"a float sampling_strategy must be in (0, 1], got {strategy}")
        if len(have) != 2:
            raise ValueError(
                f"a float sampling_strategy needs exactly two classes, but y holds {len(have)}; "
                "pass a dict {class: count} instead"
            )
        return float(strategy)
    if callable(strategy):
        result = strategy(y)
        if not isinstance(result, dict):
            raise TypeError(f"a callable sampling_strategy must return a dict {{class: count}}, got {result!r}")
        strategy = result
    if isinstance(strategy, dict):
        for label, count in strategy.items():
            _check_count(label, count, have)
        return strategy
    raise TypeError(
        f"sampling_strategy must be one of {list(STRATEGY_NAMES)}, a float, a dict {{class: count}} or a "
        f"callable, got {type(strategy).__name__}"
    )


def _check_count(label: Any, count: Any, have: dict[Any, int]) -> None:
    if label not in have:
        raise ValueError(f"sampling_strategy has the key {label!r}, which is not a class in y {list(have)}")
    if isinstance(count, bool) or not isinstance(count, numbers.Integral):
        raise ValueError(f"sampling_strategy[{label!r}] = {count!r} must be a whole number of rows")
    if count < have[label]:
        raise ValueError(
            f"sampling_strategy[{label!r}] = {count} is below the {have[label]} rows class {label!r} already "
            f"has; an over-sampler only adds rows, so ask for at least {have[label]}"
        )


def _targets(strategy: str | float | dict[Any, int], have: dict[Any, int]) -> dict[Any, int]:
    """The documented meanings (see the module docstring) without imbalanced-learn."""
    if isinstance(strategy, dict):
        return {label: count - have[label] for label, count in strategy.items()}
    majority, minority = max(have, key=have.get), min(have, key=have.get)
    top = have[majority]
    if isinstance(strategy, float):
        targets = {label: int(top * strategy - n) for label, n in have.items() if label != majority}
        if any(n <= 0 for n in targets.values()):
            raise ValueError(f"sampling_strategy={strategy} asks for no more minority rows than there are; increase it")
        return targets
    chosen = {
        "auto": lambda label: label != majority,
        "not majority": lambda label: label != majority,
        "minority": lambda label: label == minority,
        "not minority": lambda label: label != minority,
        "all": lambda label: True,
    }[strategy]
    return {label: top - n for label, n in have.items() if chosen(label)}
