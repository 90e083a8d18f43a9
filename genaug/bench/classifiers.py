"""The classical arms' classifiers of one labelled subset, kept on disk: the filtered arms' judges.

The first pass of a benchmark trains them; the second (the generators' arms, maybe in another worker process, maybe
after an interruption) loads them instead of training them again. Weights only, as safetensors, written atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from genaug.atomic import atomic_path


class ClassifierStore:
    """Classifiers by arm name in ``directory``; ``build`` makes an untrained one to load weights into."""

    def __init__(self, directory: Path, build: Callable[[], torch.nn.Module]):
        self.directory, self.build = Path(directory), build

    def _path(self, arm: str) -> Path:
        return self.directory / f"{arm}.safetensors"

    def save(self, arm: str, classifier: torch.nn.Module) -> torch.nn.Module:
        """Keep ``classifier`` as ``arm``'s; returns it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with atomic_path(self._path(arm)) as tmp:
            save_file({k: v.detach().cpu().contiguous() for k, v in classifier.state_dict().items()}, str(tmp))
        return classifier

    def load(self, arm: str) -> torch.nn.Module | None:
        """``arm``'s classifier in eval mode, or None when none was kept."""
        path = self._path(arm)
        if not path.is_file():
            return None
        classifier = self.build()
        classifier.load_state_dict(load_file(path))
        return classifier.eval()
