"""ModelSource: a model travels by checkpoint directory, is loaded once per process, is replaced by a CPU copy in
forked workers when it lives on a GPU, and refuses a checkpoint that changed since the transform was made."""

from __future__ import annotations

import copy
import pickle
import shutil

import pytest
import torch

import genaug
from genaug.augment import model_source
from genaug.augment.model_source import ModelSource
from genaug.models.base import GenerativeModel


def test_pickles_by_path_and_loads_once_per_process(tiny_models):
    source = ModelSource(tiny_models["cvae"])
    first, second = (pickle.loads(pickle.dumps(source)) for _ in range(2))
    assert first.model is second.model and first.model is not tiny_models["cvae"]
    assert first.model.weights_sha256 == tiny_models["cvae"].weights_sha256


def test_a_forked_worker_swaps_a_gpu_model_for_a_cpu_copy(tiny_models, monkeypatch):
    model = tiny_models["ae"]
    source = ModelSource(model)
    monkeypatch.setattr(GenerativeModel, "device", property(lambda self: torch.device("cuda")))
    assert source.model is model  # the process it was given in keeps it
    monkeypatch.setattr(model_source.os, "getpid", lambda: -1)  # a forked DataLoader worker
    copy_in_worker = source.model
    assert copy_in_worker is not model and str(copy_in_worker.checkpoint_dir) == str(model.checkpoint_dir)
    assert next(copy_in_worker.parameters()).device.type == "cpu"


def test_a_gpu_model_never_saved_cannot_follow_into_a_worker(tiny_models, monkeypatch):
    model = copy.deepcopy(tiny_models["ae"])
    model.checkpoint_dir = None
    source = ModelSource(model)
    monkeypatch.setattr(GenerativeModel, "device", property(lambda self: torch.device("cuda")))
    monkeypatch.setattr(model_source.os, "getpid", lambda: -1)
    with pytest.raises(RuntimeError, match=r"never saved.*model\.save"):
        _ = source.model


def test_a_checkpoint_changed_since_is_refused(tiny_runs, tmp_path):
    run = shutil.copytree(tiny_runs["cgan"], tmp_path / "cgan")
    model = genaug.load(run)
    travelling = pickle.dumps(ModelSource(model))
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    model.save(run)  # retrained in place, say
    with pytest.raises(ValueError, match="changed since this transform was made"):
        _ = pickle.loads(travelling).model
