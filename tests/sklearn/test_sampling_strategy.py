"""sampling_strategy: imbalanced-learn's meanings, with and without imbalanced-learn, and clear errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from genaug.sklearn.sampling_strategy import _imblearn_check_sampling_strategy, over_sampling_targets

check_sampling_strategy = _imblearn_check_sampling_strategy()  # the oracle; None without imbalanced-learn

# 0 is the majority, 3 and 2 tie for the minority (ties go to the first in sorted order)
MULTICLASS = np.repeat([0, 1, 2, 3], [9, 5, 2, 2])
BINARY = np.array(["cat"] * 8 + ["dog"] * 3)

CASES = [
    ("auto", MULTICLASS),
    ("not majority", MULTICLASS),
    ("minority", MULTICLASS),
    ("not minority", MULTICLASS),
    ("all", MULTICLASS),
    ({1: 5, 3: 7}, MULTICLASS),
    (lambda y: {2: 2 * int((y == 2).sum())}, MULTICLASS),
    ("auto", BINARY),
    (0.5, BINARY),
    (1.0, BINARY),
    ({"dog": 10}, BINARY),
]


@pytest.fixture(params=["with imblearn", "without imblearn"])
def imblearn_installed(request, monkeypatch) -> bool:
    if request.param == "with imblearn" and check_sampling_strategy is None:
        pytest.skip("imbalanced-learn is not installed")
    if request.param == "without imblearn":
        monkeypatch.setitem(sys.modules, "imblearn", None)  # makes `import imblearn...` raise ImportError
        monkeypatch.setitem(sys.modules, "imblearn.utils", None)
    assert (_imblearn_check_sampling_strategy() is not None) == (request.param == "with imblearn")
    return request.param == "with imblearn"


@pytest.mark.parametrize(("strategy", "y"), CASES)
def test_targets_match_imbalanced_learn(imblearn_installed, strategy, y):
    if check_sampling_strategy is None:
        pytest.skip("imbalanced-learn is not installed")
    expected = check_sampling_strategy(strategy, y, "over-sampling")
    assert over_sampling_targets(strategy, y) == {np.asarray(k).item(): v for k, v in expected.items()}


def test_documented_examples(imblearn_installed):
    assert over_sampling_targets("auto", MULTICLASS) == {1: 4, 2: 7, 3: 7}
    assert over_sampling_targets("minority", MULTICLASS) == {2: 7}
    assert over_sampling_targets(0.5, BINARY) == {"dog": 1}
    assert over_sampling_targets({1: 5}, MULTICLASS) == {1: 0}


@pytest.mark.parametrize(
    ("strategy", "error", "match"),
    [
        ({7: 10}, ValueError, r"key 7, which is not a class in y \[0, 1, 2, 3\]"),
        ({1: 4}, ValueError, r"sampling_strategy\[1\] = 4 is below the 5 rows class 1 already has"),
        ({1: -1}, ValueError, r"sampling_strategy\[1\] = -1 is below"),
        ({1: 7.5}, ValueError, r"sampling_strategy\[1\] = 7.5 must be a whole number"),
        (lambda y: {9: 1}, ValueError, "key 9"),
        (lambda y: [1, 2], TypeError, "must return a dict"),
        ("majority", ValueError, "never adds rows to the majority"),
        ("most", ValueError, r"'most' is not one of \['auto'"),
        (0.5, ValueError, "needs exactly two classes"),
        (1.5, ValueError, r"in \(0, 1\]"),
        (0.0, ValueError, r"in \(0, 1\]"),
        (True, TypeError, "got bool"),
        ([1, 2], TypeError, "got list"),
    ],
)
def test_bad_strategies_are_refused_with_the_same_message(imblearn_installed, strategy, error, match):
    with pytest.raises(error, match=match):
        over_sampling_targets(strategy, MULTICLASS)


def test_a_ratio_below_the_current_balance_is_refused(imblearn_installed):
    with pytest.raises(ValueError, match="increase"):  # 8 * 0.3 = 2 < 3 dogs
        over_sampling_targets(0.3, BINARY)


def test_one_class_is_refused(imblearn_installed):
    with pytest.raises(ValueError, match="at least two classes"):
        over_sampling_targets("auto", np.zeros(5, dtype=int))
