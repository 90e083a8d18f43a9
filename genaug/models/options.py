"""Options of sampling and editing calls, checked at the API edge: ``temperature`` and ``strength``."""

from __future__ import annotations

import math
from typing import Any


def sampling_temperature(family: str, options: dict[str, Any]) -> float:
    """The ``temperature`` sampling option (default 1.0); any other option is a TypeError."""
    temperature = options.pop("temperature", 1.0)
    if options:
        raise TypeError(f"unknown sampling option(s) {sorted(options)} for {family}; valid: ['temperature']")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"temperature must be a number, got {type(temperature).__name__}")
    if not math.isfinite(temperature) or temperature < 0:
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature}")
    return float(temperature)


def check_strength(strength: float) -> float:
    """A perturbation strength: a finite number >= 0 (in posterior or code standard deviations)."""
    if isinstance(strength, bool) or not isinstance(strength, (int, float)):
        raise TypeError(f"strength must be a number, got {type(strength).__name__}")
    if not math.isfinite(strength) or strength < 0:
        raise ValueError(f"strength must be a finite number >= 0, got {strength}")
    return float(strength)
