"""One registry of model families; configs and recipes name a family by its key.

Each family module registers itself when imported; ``genaug.models`` imports every built-in family.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genaug.models.schedule import Schedule

if TYPE_CHECKING:
    from genaug.models.base import GenerativeModel
    from genaug.models.objective import Objective


@dataclass(frozen=True)
class Family:
    """A model family: its key, hyper-parameter dataclass, inference model, training process and the length of
    training that ``trainer.steps="auto"`` gives it."""

    key: str
    config_class: type
    model_class: type[GenerativeModel]
    objective_class: type[Objective]
    schedule: Schedule


_FAMILIES: dict[str, Family] = {}


def register_family(
    key: str, config_class: type, model_class: type, objective_class: type, schedule: Schedule
) -> Family:
    """Add a family under ``key`` (called once, at the bottom of each family's module)."""
    if key in _FAMILIES:
        raise ValueError(f"model family {key!r} is already registered")
    family = Family(key, config_class, model_class, objective_class, schedule)
    _FAMILIES[key] = family
    model_class.family = key
    return family


def family_names() -> list[str]:
    """Keys of every registered family, sorted."""
    return sorted(_FAMILIES)


def get_family(key: str) -> Family:
    """The family registered under ``key``; a ValueError lists the valid keys otherwise."""
    try:
        return _FAMILIES[key]
    except KeyError:
        raise ValueError(f"unknown model family {key!r}; valid families: {', '.join(sorted(_FAMILIES))}") from None


def family_of_config(config: Any) -> Family:
    """The family whose hyper-parameter dataclass ``config`` is an instance of."""
    for family in _FAMILIES.values():
        if type(config) is family.config_class:
            return family
    valid = ", ".join(f.config_class.__name__ for f in _FAMILIES.values())
    raise TypeError(f"{type(config).__name__} is not a model config; expected one of: {valid}")
