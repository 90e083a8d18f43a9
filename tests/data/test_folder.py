"""Image folders: ImageFolder layout, odd sizes and formats, unreadable files, PIL modes, hidden files,
unlabelled folders, and every way a folder can be unusable."""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from genaug.data import DataWarning, load
from genaug.errors import DataError

pytestmark = pytest.mark.filterwarnings("error::genaug.data.DataWarning")


def save_gray(path: Path, value: int, size: tuple[int, int] = (6, 6)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(size, value, np.uint8)).save(path)


def test_image_folder_loads_every_class_recursively(rgb_folder):
    data = load(rgb_folder, image_size=16)
    assert data.classes == ["cat", "dog", "fox"] and data.class_counts() == [4, 4, 4]
    assert data.image_shape == (3, 16, 16) and data.images.dtype == torch.uint8
    assert str(rgb_folder) in data.source and data.skipped == []


def test_images_already_at_the_requested_size_are_not_changed(rgb_folder):
    data = load(rgb_folder, image_size=(20, 20))
    original = np.asarray(Image.open(rgb_folder / "cat" / "cat3.png"))  # 4th file of the first class
    assert np.array_equal(data.images[3].permute(1, 2, 0).numpy(), original)


def test_mixed_sizes_without_image_size_list_the_sizes(rgb_folder):
    with pytest.raises(DataError, match=r"2 different sizes .*23×17 \(6 images\), 20×20 \(6 images\).*image_size="):
        load(rgb_folder)


def test_many_sizes_are_listed_most_common_first_up_to_five(tmp_path):
    for i in range(8):
        for k in range(i + 1):
            save_gray(tmp_path / "a" / f"{i}_{k}.png", 0, (5, 10 + i))
    with pytest.raises(
        DataError,
        match=r"8 different sizes .*: 5×17 \(8 images\), 5×16 \(7 images\), .*"
        r"5×13 \(4 images\) and 3 other sizes",
    ):
        load(tmp_path)


def test_messy_folder_skips_unreadable_files_and_warns_once_per_problem(messy_folder):
    with pytest.warns(DataWarning) as caught:
        data = load(messy_folder, image_size=20)
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 3, messages
    deep, alpha, skipped = messages
    assert alpha.startswith("1 image(s) had transparent pixels")
    assert deep.startswith("1 image(s) had 16-bit pixels")
    assert skipped.startswith("3 file(s) could not be read as images and were skipped")
    for name in ("corrupt.png", "truncated.png", "notes.txt"):
        assert name in skipped
    assert "UnidentifiedImageError" in skipped and "truncated" in skipped and "ImageSet.skipped" in skipped
    assert sorted(Path(s.path).name for s in data.skipped) == ["corrupt.png", "notes.txt", "truncated.png"]
    assert all(s.reason for s in data.skipped)
    assert data.class_counts() == [5, 5, 6]  # rgba in cat; gray in dog; palette and 16-bit in fox
    assert data.image_shape == (3, 20, 20)
    whole = data.images.flatten(1)
    assert int((whole == 77).all(1).sum()) == 1  # the gray image, replicated to RGB
    assert int((whole == 255).all(1).sum()) == 1  # the 16-bit image of 65535s


def test_transparent_pixels_are_composited_onto_black(messy_folder):
    with pytest.warns(DataWarning):
        data = load(messy_folder, image_size=20)
    rgba = np.asarray(Image.open(messy_folder / "cat" / "rgba.png")).astype(float)
    expected = torch.from_numpy(np.rint(rgba[..., :3] * rgba[..., 3:] / 255)).permute(2, 0, 1)
    assert any((img.float() - expected).abs().max() <= 1 for img in data.images[:5])


def test_hidden_files_and_folders_are_ignored_silently(rgb_folder):
    (rgb_folder / ".DS_Store").write_bytes(b"\0")
    (rgb_folder / "cat" / ".thumb.png").write_bytes(b"junk")
    (rgb_folder / ".trash" / "old").mkdir(parents=True)
    (rgb_folder / ".trash" / "old" / "x.png").write_bytes(b"junk")
    (rgb_folder / "dog" / ".git").mkdir()
    (rgb_folder / "dog" / ".git" / "x.png").write_bytes(b"junk")
    data = load(rgb_folder, image_size=8)
    assert data.classes == ["cat", "dog", "fox"] and len(data) == 12 and data.skipped == []


def test_grayscale_folder_gives_one_channel(tmp_path):
    for name in ("a", "b"):
        for i in range(2):
            save_gray(tmp_path / name / f"{i}.png", 10 * i)
    data = load(tmp_path)
    assert data.image_shape == (1, 6, 6) and data.classes == ["a", "b"]
    assert load(tmp_path, channels=3).image_shape == (3, 6, 6)


def test_loose_images_without_class_folders_are_one_unlabelled_class(tmp_path):
    for i in range(3):
        save_gray(tmp_path / "faces" / f"{i}.png", i)
    data = load(tmp_path / "faces")
    assert data.classes == ["faces"] and len(data) == 3 and "unlabelled" in data.source


def test_loose_images_next_to_class_folders_are_refused(rgb_folder):
    (rgb_folder / "README.txt").write_text("not an image, not data: allowed")
    load(rgb_folder, image_size=8)
    for name in ("stray1.png", "stray2.JPG"):
        Image.new("RGB", (4, 4)).save(rgb_folder / name, format="PNG")
    with pytest.raises(
        DataError,
        match=r"has 2 image file\(s\) directly inside it \(e\.g\. stray1\.png\).*"
        r"move them into a class folder",
    ):
        load(rgb_folder, image_size=8)


def test_empty_folder_is_refused(tmp_path):
    (tmp_path / ".hidden").write_text("x")
    with pytest.raises(DataError, match="contains no images"):
        load(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(DataError, match=r"contains no images: its 2 class folder\(s\) are empty"):
        load(tmp_path)


def test_empty_class_folder_is_named(rgb_folder):
    (rgb_folder / "emu").mkdir()
    with pytest.raises(DataError, match=r"class folder .*emu is empty; remove it"):
        load(rgb_folder, image_size=8)


def test_class_folder_without_readable_images_is_named(rgb_folder):
    (rgb_folder / "emu").mkdir()
    (rgb_folder / "emu" / "a.png").write_bytes(b"junk")
    (rgb_folder / "emu" / "b.txt").write_text("junk")
    with pytest.raises(
        DataError,
        match=r"class folder .*emu has no readable images: all 2 file\(s\) failed.*"
        r"UnidentifiedImageError.*remove the folder",
    ):
        load(rgb_folder, image_size=8)


def test_unlabelled_folder_without_readable_images_is_refused(tmp_path):
    (tmp_path / "a.png").write_bytes(b"junk")
    with pytest.raises(DataError, match=r"has no readable images: all 1 file\(s\) failed"):
        load(tmp_path)


def test_class_with_one_image_warns(rgb_folder):
    save_gray(rgb_folder / "emu" / "only.png", 5)
    with pytest.warns(DataWarning, match=r"1 class\(es\) have fewer than 2 images: 'emu' \(1\)"):
        data = load(rgb_folder, image_size=8)
    assert data.classes == ["cat", "dog", "emu", "fox"] and data.class_counts() == [4, 4, 1, 4]


def test_decompression_bombs_are_skipped(tmp_path, monkeypatch):
    for i in range(2):
        save_gray(tmp_path / "a" / f"{i}.png", i, (10, 10))
    save_gray(tmp_path / "a" / "bomb.png", 0, (40, 40))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300)
    with pytest.warns(DataWarning, match=r"1 file\(s\) could not be read.*bomb\.png \(DecompressionBombError"):
        data = load(tmp_path)
    assert len(data) == 2


def test_more_than_three_skipped_files_are_summarised(tmp_path):
    for i in range(2):
        save_gray(tmp_path / "a" / f"{i}.png", i)
    for i in range(5):
        (tmp_path / "a" / f"bad{i}.png").write_bytes(b"junk")
    with pytest.warns(DataWarning, match=r"5 file\(s\) could not be read.*bad2\.png.* and 2 more\. The full list"):
        data = load(tmp_path)
    assert len(data.skipped) == 5


def load_or_fail_within(seconds: float, source: Path, **kwargs) -> tuple[object, list[str]]:
    """``load(source)`` in a thread: (its ImageSet or error, its warning messages), or a test failure if it has not
    finished within ``seconds`` (a reader blocked on a named pipe is released by opening and closing its other end,
    so a regression fails instead of hanging the suite)."""
    outcome: list[tuple[object, list[str]]] = []

    def target() -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result: object = load(source, **kwargs)
            except Exception as e:  # handed to the test thread
                result = e
        outcome.append((result, [str(w.message) for w in caught]))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for fifo in [p for p in Path(source).rglob("*") if p.is_fifo()] + ([source] if source.is_fifo() else []):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # EOF for a blocked reader
        thread.join(seconds)
        pytest.fail(f"genaug.data.load({source}) blocked for {seconds} s")
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipes_are_skipped_without_being_opened(rgb_folder):
    os.mkfifo(rgb_folder / "cat" / "pipe.png")
    data, messages = load_or_fail_within(20, rgb_folder, image_size=8)
    assert not isinstance(data, Exception), data
    assert data.class_counts() == [4, 4, 4]
    assert [(Path(s.path).name, "named pipe (FIFO)" in s.reason) for s in data.skipped] == [("pipe.png", True)]
    assert any(m.startswith("1 file(s) could not be read as images") and "pipe.png" in m for m in messages)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipes_in_an_unlabelled_folder_are_reported_too(tmp_path):
    for i in range(2):
        save_gray(tmp_path / "faces" / f"{i}.png", i)
    os.mkfifo(tmp_path / "faces" / "pipe")
    (tmp_path / "faces" / "gone.png").symlink_to(tmp_path / "nowhere.png")
    data, messages = load_or_fail_within(20, tmp_path / "faces")
    assert not isinstance(data, Exception), data
    assert len(data) == 2
    assert sorted(Path(s.path).name for s in data.skipped) == ["gone.png", "pipe"]
    assert any(m.startswith("2 file(s) could not be read as images") for m in messages)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_given_as_the_source_is_refused(tmp_path):
    os.mkfifo(tmp_path / "data.npz")
    error, _ = load_or_fail_within(20, tmp_path / "data.npz")
    assert isinstance(error, DataError) and "is not a regular file" in str(error)
