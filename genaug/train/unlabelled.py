"""Which families learn from unlabelled images, and the error for those that do not (yet)."""

from __future__ import annotations

from genaug.models.registry import Family, family_names, get_family


def require_unlabelled_support(family: Family) -> None:
    """Raise ValueError unless ``family``'s objective trains on unlabelled images, naming the families that do."""
    if family.objective_class.uses_unlabelled:
        return
    able = [f"'{key}'" for key in family_names() if get_family(key).objective_class.uses_unlabelled]
    choices = " or ".join([", ".join(able[:-1]), able[-1]] if len(able) > 1 else able)
    raise ValueError(f"the {family.key} does not use unlabelled images yet; use family={choices}")
