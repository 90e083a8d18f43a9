"""export: ImageFolder and .npz layouts, manifest, loading back (torchvision, genaug.data.load), same images
as SyntheticDataset, resuming after an interruption, extending, refusing foreign or bad input, and overwriting
only what the previous export wrote (never through a symbolic link). Two exports at once: tests/test_directory_lock.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.datasets import ImageFolder

import genaug
from genaug.directory_lock import LOCK_FILE
from genaug.models.registry import get_family
from genaug.synthetic import ExportError, SyntheticDataset, export
from tests.train.tiny import tiny_config

CLASSES = [str(k) for k in range(10)]


@pytest.fixture(scope="module")
def model(tiny_models):
    return tiny_models["cvae"]  # 10 classes "0".."9", 1×16×16


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path → content)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text())


def as_uint8(images: torch.Tensor) -> torch.Tensor:
    return images.mul(255).round().to(torch.uint8)


def test_png_export_is_an_image_folder_with_a_manifest(model, tmp_path):
    out = export(model, tmp_path / "syn", n_per_class=3, seed=0, progress=False)
    assert out == tmp_path / "syn"
    assert sorted(p.name for p in out.iterdir()) == sorted([*CLASSES, LOCK_FILE, "manifest.json"])  # lock released
    assert sorted(p.name for p in (out / "7").iterdir()) == ["000000.png", "000001.png", "000002.png"]
    with Image.open(out / "7" / "000001.png") as image:
        assert image.mode == "L" and image.size == (16, 16)
    record = manifest(out)
    assert record["format"] == "png" and record["seed"] == 0 and record["family"] == "cvae"
    assert record["checkpoint_sha256"] == model.weights_sha256 and len(model.weights_sha256) == 64
    assert record["checkpoint_dir"] == str(model.checkpoint_dir)
    assert record["counts"] == dict.fromkeys(CLASSES, 3) and record["total"] == 30
    assert record["genaug_version"] == genaug.__version__ and record["complete"] is True
    assert record["classes"] == CLASSES and record["loader_class_order"] == CLASSES


def test_png_export_loads_back_with_the_dataset_images(model, tmp_path):
    out = export(model, tmp_path / "syn", n_per_class=3, seed=5, progress=False)
    folder = ImageFolder(str(out))
    assert folder.classes == CLASSES and len(folder) == 30 and folder.targets == [k for k in range(10) for _ in "abc"]
    loaded = genaug.data.load(out)
    assert loaded.classes == CLASSES and loaded.image_shape == (1, 16, 16)
    synthetic = SyntheticDataset(model, n_per_class=3, seed=5)
    assert torch.equal(loaded.images, as_uint8(torch.stack([image for image, _ in synthetic])))
    assert loaded.labels.tolist() == synthetic.targets


def test_npz_export_holds_the_same_images(model, tmp_path):
    path = export(model, tmp_path / "npz", n_per_class=3, seed=5, format="npz", progress=False)
    assert path == tmp_path / "npz" / "synthetic.npz"
    assert sorted(p.name for p in path.parent.iterdir()) == [LOCK_FILE, "manifest.json", "synthetic.npz"]
    with np.load(path, allow_pickle=False) as arrays:
        assert arrays["x"].shape == (30, 1, 16, 16) and arrays["x"].dtype == np.uint8
        assert arrays["y"].tolist() == [k for k in range(10) for _ in range(3)]
        assert arrays["classes"].tolist() == CLASSES
    loaded = genaug.data.load(path)
    png = genaug.data.load(export(model, tmp_path / "png", n_per_class=3, seed=5, progress=False))
    assert torch.equal(loaded.images, png.images) and torch.equal(loaded.labels, png.labels)
    assert loaded.classes == CLASSES and manifest(path.parent)["format"] == "npz"


def test_an_interrupted_export_resumes_without_changing_finished_files(tmp_path, monkeypatch):
    model = untrained(["a", "b"], tmp_path / "run")  # 2 classes of 3×8×8: few files, two chunks per class
    reference = files(export(model, tmp_path / "whole", n_per_class=70, seed=1, progress=False))
    save, saved = Image.Image.save, []

    def crash_after_100(image, *args, **kwargs):
        if len(saved) == 100:  # in class "b", chunk 0
            raise RuntimeError("killed")
        saved.append(1)
        return save(image, *args, **kwargs)

    out = tmp_path / "resumed"
    monkeypatch.setattr(Image.Image, "save", crash_after_100)
    with pytest.raises(RuntimeError, match="killed"):
        export(model, out, n_per_class=70, seed=1, progress=False)
    monkeypatch.undo()
    assert manifest(out)["complete"] is False
    partial = {name: (out / name).stat().st_mtime_ns for name in files(out) if name.endswith(".png")}
    assert len(partial) == 100
    (out / "b" / ".000040.png.x1y2.tmp").write_bytes(b"half a png")  # as left by a process killed mid-write

    export(model, out, n_per_class=70, seed=1, progress=False)
    assert files(out).keys() == reference.keys()
    assert all(files(out)[name] == content for name, content in reference.items() if name != "manifest.json")
    assert all((out / name).stat().st_mtime_ns == mtime for name, mtime in partial.items())
    assert manifest(out)["complete"] is True


def test_asking_for_more_extends_an_export(model, tmp_path):
    out = export(model, tmp_path / "syn", n_per_class=2, seed=0, progress=False)
    first = files(out)
    export(model, out, n_per_class=4, seed=0, progress=False)
    grown = files(out)
    assert all(grown[name] == content for name, content in first.items() if name != "manifest.json")
    assert grown == files(export(model, tmp_path / "fresh", n_per_class=4, seed=0, progress=False))
    with pytest.raises(ExportError, match="more images than asked for.*'0': 4 there, 3 here"):
        export(model, out, n_per_class=3, seed=0, progress=False)


def test_a_finished_npz_is_not_written_again(model, tmp_path):
    path = export(model, tmp_path / "npz", n_per_class=2, seed=0, format="npz", progress=False)
    written = path.stat().st_mtime_ns
    export(model, path.parent, n_per_class=2, seed=0, format="npz", progress=False)
    assert path.stat().st_mtime_ns == written
    export(model, path.parent, n_per_class=3, seed=0, format="npz", progress=False)
    assert len(genaug.data.load(path)) == 30


@pytest.mark.parametrize(
    ("change", "message"),
    [({"seed": 1}, "seed 0 there, 1 here"), ({"format": "npz"}, "format 'png' there, 'npz' here")],
)
def test_a_different_export_is_refused_unless_overwrite(model, tmp_path, change, message):
    out = export(model, tmp_path / "syn", n_per_class=3, seed=0, progress=False)
    (out / "notes.txt").write_text("mine")
    arguments = {"n_per_class": 2, "seed": 0, "format": "png", **change}
    with pytest.raises(ExportError, match=f"different export.*{message}.*overwrite=True"):
        export(model, out, **arguments, progress=False)
    path = export(model, out, **arguments, overwrite=True, progress=False)
    fresh = export(model, tmp_path / "fresh", **arguments, progress=False)
    assert set(files(out)) == {*files(fresh.parent if fresh.is_file() else fresh), "notes.txt"}  # old files gone
    assert (out / "notes.txt").read_text() == "mine" and manifest(out) == manifest(tmp_path / "fresh")
    loaded, expected = genaug.data.load(path), genaug.data.load(fresh)
    assert len(loaded) == 20 and torch.equal(loaded.images, expected.images)


def test_another_models_export_is_refused(tiny_models, model, tmp_path):
    out = export(tiny_models["ae"], tmp_path / "syn", n_per_class=1, seed=0, progress=False)
    with pytest.raises(ExportError, match=f"checkpoint_sha256 '{tiny_models['ae'].weights_sha256}' there"):
        export(model, out, n_per_class=1, seed=0, progress=False)


def test_folders_that_are_not_an_export_are_refused(model, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cat.png").write_bytes(b"")
    with pytest.raises(ExportError, match="not empty and holds no manifest.json"):
        export(model, tmp_path / "data", n_per_class=1, overwrite=True, progress=False)
    (tmp_path / "file").write_text("")
    with pytest.raises(ExportError, match="is a file"):
        export(model, tmp_path / "file", n_per_class=1, progress=False)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text('{"name": "someone else"}')
    with pytest.raises(ExportError, match="not a genaug export manifest"):
        export(model, tmp_path / "other", n_per_class=1, progress=False)


def test_bad_arguments_are_refused(model, tmp_path):
    with pytest.raises(ValueError, match="n_per_class must be an int >= 0, got -1"):
        export(model, tmp_path / "a", n_per_class=-1)
    with pytest.raises(ValueError, match=r"format must be one of \['png', 'npz'\], got 'jpg'"):
        export(model, tmp_path / "a", n_per_class=1, format="jpg")
    with pytest.raises(ValueError, match=r"seed must be an int >= 0, got 1.5 \(a float\)"):
        export(model, tmp_path / "a", n_per_class=1, seed=1.5)
    with pytest.raises(TypeError, match="GenerativeModel"):
        export(str(model.checkpoint_dir), tmp_path / "a", n_per_class=1)
    assert not (tmp_path / "a").exists()


def untrained(classes: list[str], directory: Path | None = None):
    model = get_family("cgan").model_class(tiny_config("cgan"), classes, (3, 8, 8))
    if directory is not None:
        model.save(directory)
    return model


def test_class_names_must_make_folders(tmp_path):
    with pytest.raises(ValueError, match="no weights_sha256.*model.save"):
        export(untrained(["a", "b"]), tmp_path / "out", n_per_class=1)
    for classes, message in [
        (["a/b", "c"], "'a/b' cannot be a folder name"),
        ([".a", "b"], "'.a'"),
        (["Cat", "cat"], "differ only in case"),
    ]:
        model = untrained(classes, tmp_path / "run")
        with pytest.raises(ExportError, match=f"{message}.*format='npz'"):
            export(model, tmp_path / "out", n_per_class=1, progress=False)
        path = export(model, tmp_path / "out", n_per_class=2, format="npz", overwrite=True, progress=False)
        assert genaug.data.load(path).classes == classes


def test_loaders_order_classes_by_folder_name(tmp_path):
    model = untrained(["zebra", "ant", "moth"], tmp_path / "run")
    out = export(model, tmp_path / "out", n_per_class=2, progress=False)
    assert manifest(out)["classes"] == ["zebra", "ant", "moth"]
    assert manifest(out)["loader_class_order"] == ImageFolder(str(out)).classes == ["ant", "moth", "zebra"]
    loaded = genaug.data.load(out)
    assert loaded.classes == ["ant", "moth", "zebra"] and loaded.image_shape == (3, 8, 8)
    with Image.open(out / "ant" / "000000.png") as image:
        assert image.mode == "RGB"
    synthetic = SyntheticDataset(model, n_per_class=2)
    assert torch.equal(loaded.images[:2], as_uint8(torch.stack([synthetic[2][0], synthetic[3][0]])))  # "ant"


def test_a_class_name_too_long_for_the_file_system_is_refused_before_anything_is_written(tmp_path):
    for long_name, size in [("a" * 256, 256), ("é" * 128, 256)]:  # 255 bytes is the limit, not 255 characters
        model = untrained([long_name, "b"], tmp_path / "run")
        with pytest.raises(ExportError, match=f"cannot be a folder name \\({size} bytes long.*format='npz'"):
            export(model, tmp_path / "out", n_per_class=1, progress=False)
        assert not (tmp_path / "out").exists()
        path = export(model, tmp_path / "npz", n_per_class=2, format="npz", overwrite=True, progress=False)
        assert genaug.data.load(path).classes == [long_name, "b"]


def test_lock_files_are_not_export_content(model, tmp_path):
    out = tmp_path / "syn"
    out.mkdir()
    (out / LOCK_FILE).touch()  # left by an earlier writer of this folder (an unlocked lock file is harmless)
    export(model, out, n_per_class=2, progress=False)
    assert len(genaug.data.load(out)) == len(ImageFolder(str(out))) == 20
    assert LOCK_FILE not in (out / "manifest.json").read_text()
    (out.parent / "other").mkdir()
    (out.parent / "other" / LOCK_FILE).touch()
    (out.parent / "other" / "cat.png").touch()
    with pytest.raises(ExportError, match="not empty and holds no manifest.json"):
        export(model, out.parent / "other", n_per_class=1, progress=False)


@pytest.fixture
def precious(tmp_path) -> Path:
    """A folder outside any export holding files named like exported images."""
    folder = tmp_path / "precious"
    folder.mkdir()
    for name in ("000000.png", "000001.png", "000002.png"):
        (folder / name).write_bytes(b"keep me")
    return folder


def untouched(folder: Path) -> bool:
    return sorted(p.name for p in folder.iterdir()) == ["000000.png", "000001.png", "000002.png"]


def test_overwrite_deletes_only_the_images_the_old_manifest_lists(model, tmp_path):
    out = export(model, tmp_path / "syn", n_per_class=3, seed=0, progress=False)
    mine = {"000099.png": b"beyond the export's 3 images", "0000001.png": b"not a name export gives"}
    for name, content in mine.items():
        (out / "0" / name).write_bytes(content)
    export(model, out, n_per_class=2, seed=1, overwrite=True, progress=False)
    assert sorted(p.name for p in (out / "0").iterdir()) == sorted(["000000.png", "000001.png", *mine])
    assert all((out / "0" / name).read_bytes() == content for name, content in mine.items())
    assert sorted(p.name for p in (out / "1").iterdir()) == ["000000.png", "000001.png"]


def test_a_symlinked_class_folder_is_never_followed(model, tmp_path, precious):
    out = export(model, tmp_path / "syn", n_per_class=3, seed=0, progress=False)
    shutil.rmtree(out / "3")
    (out / "3").symlink_to(precious, target_is_directory=True)
    for arguments in ({"seed": 1, "overwrite": True}, {"seed": 0, "n_per_class": 4}):  # replace, or extend
        with pytest.raises(ExportError, match="syn/3 is a symbolic link; genaug never follows links"):
            export(model, out, **{"n_per_class": 3, **arguments}, progress=False)
        assert untouched(precious)
        assert len(list((out / "0").iterdir())) == 3  # checked whole before anything is deleted


def test_a_symlinked_image_is_never_followed(model, tmp_path, precious):
    out = export(model, tmp_path / "syn", n_per_class=3, seed=0, progress=False)
    (out / "5" / "000001.png").unlink()
    (out / "5" / "000001.png").symlink_to(precious / "000001.png")
    with pytest.raises(ExportError, match="000001.png is a symbolic link"):
        export(model, out, n_per_class=4, seed=0, progress=False)  # would keep the link as an exported image
    assert untouched(precious)


def edit_manifest(out: Path, edit) -> None:
    record = manifest(out)
    edit(record)
    (out / "manifest.json").write_text(json.dumps(record))


def test_a_manifest_edited_to_list_a_linked_class_is_refused(model, tmp_path, precious):
    out = export(model, tmp_path / "syn", n_per_class=3, seed=0, progress=False)
    (out / "extra").symlink_to(precious, target_is_directory=True)
    edit_manifest(out, lambda record: (record["classes"].append("extra"), record["counts"].update(extra=3)))
    with pytest.raises(ExportError, match="syn/extra is a symbolic link"):
        export(model, out, n_per_class=2, seed=1, overwrite=True, progress=False)
    assert untouched(precious)


def rename_class(record: dict, new: str) -> None:
    record["classes"][0] = new
    record["counts"] = {new: record["counts"].pop("0"), **record["counts"]}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda record: record["counts"].update({"../precious": 3}), "does not give one image count for each"),
        (lambda record: rename_class(record, "../precious"), "lists class '../precious', which names no folder"),
        (lambda record: rename_class(record, ".."), "lists class '..', which names no folder"),
        (lambda record: rename_class(record, "/tmp/x"), "lists class '/tmp/x', which names no folder"),
        (lambda record: record["counts"].update({"0": -1}), "gives class '0' a bad image count \\(count must"),
    ],
    ids=["extra count", "parent folder", "dot dot", "absolute path", "negative count"],
)
def test_a_manifest_naming_anything_outside_the_export_is_refused(model, tmp_path, precious, edit, message):
    out = export(model, tmp_path / "syn", n_per_class=3, seed=0, progress=False)
    edit_manifest(out, edit)
    with pytest.raises(ExportError, match=f"manifest.json {message}.*edited or damaged"):
        export(model, out, n_per_class=2, seed=1, overwrite=True, progress=False)
    assert untouched(precious) and len(list((out / "0").iterdir())) == 3


def test_an_export_of_an_earlier_noise_layout_is_not_extended(model, tmp_path):
    """The same seed gives other images since sampling draws noise in fixed blocks (SAMPLING_VERSION 2): an export
    recorded without the version (layout 1) is not extended with images of the new layout, which would mix them."""
    export(model, tmp_path, n_per_class=2, seed=0, progress=False)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["sampling_version"] == 2
    del manifest["sampling_version"]  # as written by an earlier genaug
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match=r"sampling_version 1 there, 2 here.*overwrite=True"):
        export(model, tmp_path, n_per_class=3, seed=0, progress=False)
    export(model, tmp_path, n_per_class=3, seed=0, progress=False, overwrite=True)
