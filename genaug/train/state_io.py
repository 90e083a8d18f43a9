"""Nested state (optimiser state dicts, RNG states) to safetensors without pickle.

Tensors go into the safetensors file under path-like keys; everything else becomes JSON in its metadata.
"""

from __future__ import annotations

from typing import Any

import torch

_TENSOR = "__tensor__"
_DICT = "__dict__"
_TUPLE = "__tuple__"


def split_tensors(obj: Any, prefix: str, tensors: dict[str, torch.Tensor]) -> Any:
    """A JSON-able skeleton of ``obj``; its tensors are moved into ``tensors`` under keys starting ``prefix``."""
    if isinstance(obj, torch.Tensor):
        tensors[prefix] = obj.detach().cpu().contiguous()
        return {_TENSOR: prefix}
    if isinstance(obj, dict):
        return {_DICT: [[k, split_tensors(v, f"{prefix}/{k}", tensors)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [split_tensors(v, f"{prefix}/{i}", tensors) for i, v in enumerate(obj)]
        return {_TUPLE: items} if isinstance(obj, tuple) else items
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} at {prefix!r} in a checkpoint")


def join_tensors(skeleton: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Rebuild the object ``split_tensors`` took apart."""
    if isinstance(skeleton, dict):
        if _TENSOR in skeleton:
            return tensors[skeleton[_TENSOR]]
        if _TUPLE in skeleton:
            return tuple(join_tensors(v, tensors) for v in skeleton[_TUPLE])
        return {k: join_tensors(v, tensors) for k, v in skeleton[_DICT]}
    if isinstance(skeleton, list):
        return [join_tensors(v, tensors) for v in skeleton]
    return skeleton
