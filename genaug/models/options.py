"""Options of sampling and editing calls, checked at the API edge: ``temperature`` and ``strength``."""

from __future__ import annotations

from typing import Any

from genaug.checks import check_number


def sampling_temperature(family: str, options: dict[str, Any]) -> float:
    """The ``temperature`` sampling option (default 1.0): a finite number >= 0; any other option is a TypeError."""
    temperature = options.pop("temperature", 1.0)
    if options:
        raise TypeError(f"unknown sampling option(s) {sorted(options)} for {family}; valid: ['temperature']")
    return check_number("temperature", temperature, minimum=0)


def check_strength(strength: float) -> float:
    """A perturbation strength: a finite number >= 0 (in posterior or code standard deviations)."""
    return check_number("strength", strength, minimum=0)
