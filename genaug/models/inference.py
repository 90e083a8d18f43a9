"""The ``inference`` decorator: model methods that answer queries (sample, encode, score) run in eval mode
without gradients, whatever mode the model is in."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import nn

Method = TypeVar("Method", bound=Callable[..., Any])


def inference(method: Method) -> Method:
    """Run a model method in eval mode without gradients, restoring the training mode afterwards."""

    @functools.wraps(method)
    def wrapper(self: nn.Module, *args: Any, **kwargs: Any) -> Any:
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                return method(self, *args, **kwargs)
        finally:
            self.train(was_training)

    return wrapper  # type: ignore[return-value]
