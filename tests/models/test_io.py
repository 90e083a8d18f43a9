"""Model I/O (checkpoint directories): round trip, atomic writes, refusal of missing, corrupt, tampered or
foreign files."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
import torch

import genaug
from genaug.atomic import atomic_path
from genaug.errors import CheckpointError
from genaug.models.autoencoder import Autoencoder
from tests.train.tiny import tiny_config


@pytest.fixture
def saved(tmp_path):
    model = genaug.get_family("cgan").model_class(
        tiny_config("cgan").resolved_for(torch.zeros(1, 1, 8, 8)), ["x", "y"], (1, 8, 8)
    )
    model.save(tmp_path / "ckpt")
    return model, tmp_path / "ckpt"


def test_round_trip(saved):
    model, path = saved
    loaded = genaug.load(path)
    torch.testing.assert_close(loaded.sample(3, seed=1), model.sample(3, seed=1))
    record = json.loads((path / "config.json").read_text())
    assert record["family"] == "cgan" and record["genaug_version"] == genaug.__version__


def test_missing_directory_and_files(tmp_path, saved):
    with pytest.raises(CheckpointError, match="does not exist"):
        genaug.load(tmp_path / "nope")
    _, path = saved
    (path / "weights.safetensors").unlink()
    with pytest.raises(CheckpointError, match="weights.safetensors is missing"):
        genaug.load(path)


def test_tampered_weights_fail_the_checksum(saved):
    _, path = saved
    raw = bytearray((path / "weights.safetensors").read_bytes())
    raw[-3] ^= 0xFF
    (path / "weights.safetensors").write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="SHA-256"):
        genaug.load(path)


def test_corrupt_weights_file(saved):
    _, path = saved
    (path / "weights.safetensors").write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        genaug.load(path)


def test_foreign_or_newer_config(saved):
    _, path = saved
    record = json.loads((path / "config.json").read_text())
    (path / "config.json").write_text(json.dumps({**record, "format": "something-else"}))
    with pytest.raises(CheckpointError, match="not a genaug checkpoint"):
        genaug.load(path)
    (path / "config.json").write_text(json.dumps({**record, "schema_version": 99}))
    with pytest.raises(CheckpointError, match="upgrade genaug"):
        genaug.load(path)
    (path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        genaug.load(path)
    (path / "config.json").write_text(json.dumps({**record, "family": "gmm"}))
    with pytest.raises(CheckpointError, match="valid families: ae, cgan, cvae, diffusion"):
        genaug.load(path)


def test_weight_shape_mismatch(saved):
    _, path = saved
    record = json.loads((path / "config.json").read_text())
    record["model"]["latent_dim"] = 9
    (path / "config.json").write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="weight shapes differ"):
        genaug.load(path)
    record["model"]["bogus"] = 1
    (path / "config.json").write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match=r"unknown cgan hyper-parameter\(s\) \['bogus'\]"):
        genaug.load(path)


def test_atomic_write_keeps_the_old_file_on_error(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_loaded_and_saved_models_know_their_checkpoint(tiny_runs, tmp_path):
    model = genaug.load(tiny_runs["ae"])
    assert model.checkpoint_dir == tiny_runs["ae"].resolve() and len(model.weights_sha256) == 64
    model.save(tmp_path / "copy")
    assert model.checkpoint_dir == (tmp_path / "copy").resolve()
    assert genaug.load(tmp_path / "copy").weights_sha256 == model.weights_sha256


def test_atomic_files_get_the_usual_permissions(tmp_path, tiny_runs):
    old = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "f.txt") as tmp:
            tmp.write_text("x")
        genaug.load(tiny_runs["ae"]).save(tmp_path / "run")  # safetensors writes its files 0600 itself
    finally:
        os.umask(old)
    written = [tmp_path / "f.txt", *(tmp_path / "run").iterdir()]
    assert {path.name: path.stat().st_mode & 0o777 for path in written} == {path.name: 0o644 for path in written}


def test_loading_leaves_the_global_rng_alone(tiny_runs):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    genaug.load(tiny_runs["cgan"])
    assert torch.equal(torch.rand(3), expected)


def edited_copy(run, tmp_path, edit) -> Path:
    """A copy of the checkpoint ``run`` whose config.json record went through ``edit`` (in place)."""
    path = shutil.copytree(run, tmp_path / "edited")
    record = json.loads((path / "config.json").read_text())
    edit(record)
    (path / "config.json").write_text(json.dumps(record))
    return path


def test_a_hostile_config_is_refused_from_the_header_before_allocating(tiny_runs, tmp_path, monkeypatch):
    # base_width 4096 on a small checkpoint used to build the real model first: 27 s and 5.3 GB, then the error
    path = edited_copy(tiny_runs["ae"], tmp_path, lambda r: r["model"].update(base_width=4096))
    built_on = []
    build = Autoencoder.__init__

    def spy(self, *args, **kwargs):
        build(self, *args, **kwargs)
        built_on.append(next(self.parameters()).device.type)

    monkeypatch.setattr(Autoencoder, "__init__", spy)
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match="weight shapes differ from what its config.json builds"):
        genaug.load(path)
    assert built_on == ["meta"] and time.perf_counter() - start < 5


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("latent_dim", "16", r"latent_dim must be an int >= 1, got '16' \(a str\)"),
        ("classes", "0123456789", r"'classes' must be a non-empty list of class names \(str\), got '0123456789'"),
        ("classes", [0, 1], r"'classes' must be a non-empty list of class names \(str\), got \[0, 1\]"),
        ("image_shape", [1, 16], r"'image_shape' must be a list of 3 ints \[channels, height, width\], got \[1, 16\]"),
        ("image_shape", "1x16x16", r"'image_shape' must be a list of 3 ints"),
        ("image_shape", [1, 16.0, 16], r"'image_shape' must be a list of 3 ints"),
        ("family", ["ae"], r"'family' must be a family name \(str\), got \['ae'\] \(a list\)"),
        ("model", [], r"'model' must be an object of hyper-parameters"),
        ("schema_version", "1", r"'schema_version' is malformed: it must be an int >= 1, got '1' \(a str\)"),
    ],
)
def test_wrong_types_in_config_name_the_file_and_key(tiny_runs, tmp_path, key, value, message):
    def edit(record):
        if key == "latent_dim":
            record["model"][key] = value
        else:
            record[key] = value

    path = edited_copy(tiny_runs["ae"], tmp_path, edit)
    with pytest.raises(CheckpointError, match=rf"config\.json: {message}") as caught:
        genaug.load(path)
    assert "upgrade genaug" not in str(caught.value)


def test_a_file_is_not_a_checkpoint_directory(saved):
    _, path = saved
    with pytest.raises(CheckpointError, match=r"weights\.safetensors is a file, not a checkpoint directory"):
        genaug.load(path / "weights.safetensors")


def test_non_finite_weights_are_refused_naming_the_tensor(tmp_path):
    model = genaug.get_family("ae").model_class(tiny_config("ae", likelihood="bernoulli"), ["x"], (1, 8, 8))
    with torch.no_grad():
        model.to_code.bias[0] = float("nan")
    model.save(tmp_path / "nan")  # a valid digest of the NaN weights
    with pytest.raises(CheckpointError, match=r"weight 'to_code\.bias' holds NaN or infinite values"):
        genaug.load(tmp_path / "nan")
