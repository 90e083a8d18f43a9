"""Shared fixtures: the built-in data sets (loaded once per session) and small image folders made with PIL."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from genaug.data import ImageSet, load, train_test_split

# The suite checks behaviour on the CPU, where CI runs it: exact expectations (a seed's samples, a resumed run's
# weights, an export's bytes) hold within one device, and a GPU would otherwise take every device="auto" model and
# every subprocess. On a machine with a GPU the suite therefore hides it, unless GENAUG_TESTS_ON_CUDA=1 (which the
# CUDA-only tests need); `python -m benchmarks.gpu_check` is the check of the CUDA paths. Set before CUDA starts.
if os.environ.get("GENAUG_TESTS_ON_CUDA") != "1":
    os.environ["CUDA_VISIBLE_DEVICES"] = ""


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tests use tiny models, for which one thread is faster than several (and other jobs keep their cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# (height, width) of the images in `rgb_folder`: two sizes, one of them not square
RGB_FOLDER_SIZES = [(23, 17), (20, 20)]


@pytest.fixture(scope="session")
def mnist5k() -> ImageSet:
    return load("mnist5k")


@pytest.fixture(scope="session")
def digits() -> ImageSet:
    return load("digits")


@pytest.fixture(scope="session")
def digit_splits(digits16: ImageSet) -> dict[str, ImageSet]:
    """Disjoint stratified parts of digits16 (1,797 images, 1 x 16 x 16): reference (~40%), train and test."""
    rest, reference = train_test_split(digits16, test_size=0.4, seed=0)
    train, test = train_test_split(rest, test_size=0.5, seed=0)
    return {"reference": reference, "train": train, "test": test}


@pytest.fixture(scope="session")
def digits16() -> ImageSet:
    """scikit-learn's digits at 16×16: small enough for fast training tests."""
    return load("digits", image_size=16)


def random_rgb(seed: int, size: tuple[int, int]) -> np.ndarray:
    """A random uint8 H×W×3 image."""
    return np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)


@pytest.fixture
def rgb_folder(tmp_path: Path) -> Path:
    """A clean ImageFolder tree: classes cat, dog, fox with 4 RGB images each, in PNG, JPEG and BMP,
    alternating between 23×17 and 20×20 pixels; dog keeps one image in a nested sub-folder."""
    root = tmp_path / "rgb"
    for c, name in enumerate(["cat", "dog", "fox"]):
        for i, ext in enumerate(["png", "jpg", "bmp", "png"]):
            folder = root / name / ("nested" if name == "dog" and i == 3 else "")
            folder.mkdir(parents=True, exist_ok=True)
            size = RGB_FOLDER_SIZES[i % 2]
            Image.fromarray(random_rgb(10 * c + i, size)).save(folder / f"{name}{i}.{ext}")
    return root


@pytest.fixture
def messy_folder(rgb_folder: Path) -> Path:
    """`rgb_folder` plus everything that goes wrong in real folders: a corrupt file, a truncated PNG, a text
    file, hidden files and folders, and images in modes RGBA (transparent), L, P and I;16 (16-bit)."""
    cat, dog, fox = (rgb_folder / name for name in ("cat", "dog", "fox"))
    (cat / "corrupt.png").write_bytes(np.random.default_rng(0).bytes(300))
    whole = (cat / "cat0.png").read_bytes()
    (dog / "truncated.png").write_bytes(whole[: len(whole) // 2])
    (fox / "notes.txt").write_text("not an image")
    (rgb_folder / ".DS_Store").write_bytes(b"\0" * 10)
    (cat / ".hidden.png").write_bytes(b"junk")
    (rgb_folder / ".cache").mkdir()
    (rgb_folder / ".cache" / "x.png").write_bytes(b"junk")
    rgba = np.dstack([random_rgb(1, (20, 20)), np.full((20, 20), 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(cat / "rgba.png")
    Image.fromarray(np.full((20, 20), 77, np.uint8), "L").save(dog / "gray.png")
    Image.fromarray(random_rgb(2, (20, 20))).convert("P").save(fox / "palette.png")
    Image.fromarray(np.full((20, 20), 65535, np.uint16)).save(fox / "deep.png")
    return rgb_folder


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory: pytest.TempPathFactory, digits16: ImageSet) -> dict[str, Path]:
    """Checkpoint directories of one tiny model per family, trained for a few steps on `digits16`
    (10 classes "0".."9", 1×16×16). Load with `genaug.load(tiny_runs["cvae"])`; don't write into them."""
    from genaug.train import Trainer, TrainerConfig
    from tests.train.tiny import tiny_config

    root = tmp_path_factory.mktemp("tiny_runs")
    settings = TrainerConfig(steps=20, batch_size=32, progress=False, tensorboard=False, sample_every=10**9)
    runs = {}
    for family in ("cgan", "cvae", "ae", "diffusion"):
        Trainer(settings, root / family).fit(digits16, tiny_config(family))
        runs[family] = root / family
    return runs


@pytest.fixture(scope="session")
def tiny_models(tiny_runs: dict[str, Path]) -> dict:
    """The models of `tiny_runs`, loaded once per session (on the CPU, in eval mode)."""
    import genaug

    return {family: genaug.load(path) for family, path in tiny_runs.items()}
