"""The schemas the recipes extend: every argument of a recipe's target with its default, read from the target.

A recipe holds only what differs from its target's defaults and names what it extends in its defaults list:
``/schema/<target>@_here_`` (``_target_`` and every argument: a node that ``hydra.utils.instantiate`` builds) or
``/options/<callable>@_here_`` (the arguments alone: a command's own keys, which it passes to that callable). An
argument without a default is ``???`` (required). So each default is written once, in its dataclass or signature,
and every argument can be set on the command line without ``+``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from dataclasses import dataclass
from functools import cache
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from genaug.models import family_names, get_family
from genaug.optional import MissingExtraError

VIEW_INPUTS = ("model", "data", "run", "path")  # what genaug-viz passes a view itself (genaug/cli/viz.py)


@dataclass(frozen=True)
class Schema:
    """The arguments of ``target`` (a dotted path, as in ``_target_``) that a recipe may set."""

    target: str
    supplied: tuple[str, ...] = ()  # arguments the command passes itself: never recipe keys
    built: bool = True  # instantiated from its recipe node (/schema), or a command's options (/options)

    @property
    def group(self) -> str:
        return "schema" if self.built else "options"

    def located(self) -> Any:
        """The dataclass, class or function; an optional surface without its extra raises MissingExtraError."""
        module, _, name = self.target.rpartition(".")
        return getattr(importlib.import_module(module), name)

    def arguments(self) -> dict[str, Any]:
        """Every argument of the target but the supplied ones, with its default (``???`` if it has none)."""
        target = self.located()
        if dataclasses.is_dataclass(target):
            defaults = {f.name: field_default(f) for f in dataclasses.fields(target) if f.init}
        else:
            parameters = inspect.signature(target).parameters.values()
            variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            defaults = {
                p.name: MISSING if p.default is p.empty else p.default for p in parameters if p.kind not in variadic
            }
        return {name: value for name, value in defaults.items() if name not in self.supplied}

    def node(self) -> dict[str, Any]:
        """What the ConfigStore holds under ``<group>/<target>``."""
        return {"_target_": self.target, **self.arguments()} if self.built else self.arguments()


def field_default(field: dataclasses.Field) -> Any:
    """A dataclass field's default (a fresh one from its factory), or ``???`` when it has none."""
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return MISSING


def qualified_name(cls: type) -> str:
    """Where ``cls`` is defined, as ``_target_`` names it."""
    return f"{cls.__module__}.{cls.__qualname__}"


SCHEMAS: tuple[Schema, ...] = (
    Schema("genaug.data.load"),
    Schema("genaug.data.streaming.StreamingData"),
    *(Schema(qualified_name(get_family(family).config_class)) for family in family_names()),
    Schema("genaug.train.TrainerConfig"),
    Schema("genaug.bench.BenchConfig"),
    Schema("genaug.bench.Benchmark", supplied=("config", "data", "model_configs"), built=False),
    Schema("genaug.export", supplied=("model", "out_dir"), built=False),
    Schema("genaug.load", supplied=("directory",), built=False),
    *(
        Schema(f"genaug.viz.{view}", VIEW_INPUTS)
        for view in ("sample_grid", "interpolation", "latent_map", "training_curves")
    ),
    # the images' labels come with the data set genaug-viz loads (labels=... is for images without one)
    *(Schema(f"genaug.viz.{view}", (*VIEW_INPUTS, "labels")) for view in ("reconstructions", "class_transfer")),
)


@cache
def register_schemas() -> None:
    """Store every schema in Hydra's ConfigStore (once). A view whose extra is missing is left out: genaug-viz
    checks for the extra before it composes, so its error names the install command."""
    store = ConfigStore.instance()
    for schema in SCHEMAS:
        try:
            node = schema.node()
        except MissingExtraError:
            continue
        store.store(group=schema.group, name=schema.target, node=node)
