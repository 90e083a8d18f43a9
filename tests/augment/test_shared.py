"""What every GenerativeAugment implementation must do, driven by the table in libraries.py: keep the input's
form, hand out the bank's images of the sample's class, perturb through the encoder, honour p, reproduce a seeded
run, pickle, work in DataLoader workers (fork and spawn), and fail clearly on bad arguments and samples."""

from __future__ import annotations

import copy
import importlib
import pickle
import pkgutil
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

import genaug
import genaug.augment
from genaug.errors import CheckpointError
from tests.augment.libraries import ALBUMENTATIONS, LIBRARIES, TORCHVISION, AugmentedImages, Library, seed_worker

by_library = pytest.mark.parametrize("library", LIBRARIES, ids=lambda library: library.name)
IMAGE_CASES = [pytest.param(lib, name, id=f"{lib.name}-{name}") for lib in LIBRARIES for name in lib.images]


def as_chw(image: Any) -> torch.Tensor:
    """Any accepted image form as a C×H×W tensor of its own dtype, for comparing pixels."""
    if isinstance(image, Image.Image):
        image = np.asarray(image)
    if isinstance(image, np.ndarray):
        pixels = torch.from_numpy(np.array(image))
        return pixels[None] if pixels.ndim == 2 else pixels.permute(2, 0, 1)
    return image.as_subclass(torch.Tensor)


def model_shaped(library: Library, seed: int = 0) -> Any:
    """A random uint8 image of the tiny models' shape (1×16×16), in the library's layout."""
    pixels = torch.randint(0, 256, (1, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))
    return library.from_dataset(pixels)


def assert_same_form(out: Any, image: Any) -> None:
    assert type(out) is type(image)
    if isinstance(image, Image.Image):
        assert (out.mode, out.size) == (image.mode, image.size)
    else:
        assert (out.dtype, out.shape) == (image.dtype, image.shape)
    pixels = as_chw(out)
    if pixels.is_floating_point():
        assert float(pixels.min()) >= 0.0 and float(pixels.max()) <= 1.0


def test_every_implementation_is_in_the_table():
    found = set()
    for info in pkgutil.iter_modules(genaug.augment.__path__):
        module = importlib.import_module(f"genaug.augment.{info.name}")
        implementation = getattr(module, "GenerativeAugment", None)
        if implementation is not None and implementation.__module__ == module.__name__:
            found.add(implementation)
    assert found == {library.transform_class for library in LIBRARIES}


@pytest.mark.parametrize(("library", "name"), IMAGE_CASES)
@pytest.mark.parametrize(
    ("family", "mode"), [("cgan", "replace"), ("cvae", "perturb"), ("ae", "perturb"), ("diffusion", "perturb")]
)
def test_output_keeps_the_input_form(library, name, family, mode, tiny_models):
    image = library.images[name]
    transform = library.transform_class(tiny_models[family], p=1.0, mode=mode)
    (out,) = library.run(transform, [(image, 3)], seed=0)
    assert_same_form(out, image)
    assert not torch.equal(as_chw(out), as_chw(image))


@by_library
def test_replace_hands_out_the_bank_images_of_the_sample_class(library, tiny_models, monkeypatch):
    model = tiny_models["cgan"]
    batches = []
    sample = model.sample

    def recorded(n, labels=None, seed=None, **kwargs):
        images = sample(n, labels=labels, seed=seed, **kwargs)
        batches.append((n, labels, (images * 255).round().to(torch.uint8)))
        return images

    monkeypatch.setattr(model, "sample", recorded)
    transform = library.transform_class(model, p=1.0, bank_size=5)  # a size no other test uses: a fresh bank
    image = model_shaped(library)
    outs = library.run(transform, [(image, 3)] * 6 + [(image, 7)], seed=11)
    assert [(n, labels) for n, labels, _ in batches] == [(5, 3), (5, 3), (5, 7)]
    expected = [*batches[0][2], batches[1][2][0], batches[2][2][0]]
    for out, want in zip(outs, expected, strict=True):
        assert torch.equal(as_chw(out), want)


@by_library
@pytest.mark.parametrize("family", ["ae", "cvae"])
def test_perturb_moves_the_code_of_the_image_itself(library, family, tiny_models):
    model = tiny_models[family]
    image = model_shaped(library, seed=1)
    x = as_chw(image)[None]
    at_zero = library.transform_class(model, p=1.0, mode="perturb", strength=0.0)
    (out,) = library.run(at_zero, [(image, 3)], seed=0)
    assert torch.equal(as_chw(out), x[0])  # strength 0: the image itself, its detail kept
    at_one = library.transform_class(model, p=1.0, mode="perturb", strength=1.0)
    (moved,) = library.run(at_one, [(image, 3)], seed=0)
    assert not torch.equal(as_chw(moved), x[0])
    labels = () if family == "ae" else ([3],)
    change = model.perturb(x, *labels, strength=1.0, generator=0) - x.float() / 255
    assert change.abs().max() > 0.05  # the move shows, and its seed comes from the transform's draw
    if family == "cvae":  # decoded under the sample's label
        (other_class,) = library.run(at_one, [(image, 5)], seed=0)
        assert not torch.equal(as_chw(other_class), as_chw(moved))


@by_library
def test_p_is_the_probability_of_augmenting(library, tiny_models):
    image = model_shaped(library, seed=2)
    samples = [(image, k % 10) for k in range(200)]
    never = library.run(library.transform_class(tiny_models["cgan"], p=0.0, bank_size=8), samples[:20], seed=3)
    assert all(torch.equal(as_chw(out), as_chw(image)) for out in never)
    some = library.run(library.transform_class(tiny_models["cgan"], p=0.3, bank_size=8), samples, seed=3)
    changed = sum(not torch.equal(as_chw(out), as_chw(image)) for out in some)
    assert 40 <= changed <= 80


@by_library
def test_a_seed_makes_a_run_reproducible(library, tiny_models):
    transform = library.transform_class(tiny_models["cgan"], p=0.5, bank_size=8)
    samples = [(model_shaped(library, seed=k), k % 10) for k in range(30)]
    first = library.run(transform, samples, seed=21)
    again = library.run(transform, samples, seed=21)  # same process, same bank: it notices the re-seeding
    other = library.run(transform, samples, seed=22)
    assert all(torch.equal(as_chw(a), as_chw(b)) for a, b in zip(first, again, strict=True))
    assert not all(torch.equal(as_chw(a), as_chw(b)) for a, b in zip(first, other, strict=True))


@by_library
def test_pickled_transform_refers_to_its_checkpoint_and_behaves_the_same(library, tiny_models):
    transform = library.transform_class(tiny_models["cgan"], p=0.5, bank_size=8)
    restored = pickle.loads(pickle.dumps(transform))
    assert restored._augmenter.source._model is None  # travels as its checkpoint path, loaded on first use
    samples = [(model_shaped(library, seed=k), k % 10) for k in range(12)]
    ours, theirs = library.run(transform, samples, seed=31), library.run(restored, samples, seed=31)
    assert all(torch.equal(as_chw(a), as_chw(b)) for a, b in zip(ours, theirs, strict=True))


@by_library
def test_a_model_never_saved_pickles_with_its_weights(library, tiny_models):
    model = copy.deepcopy(tiny_models["ae"])
    model.checkpoint_dir = None
    transform = library.transform_class(model, p=1.0, mode="perturb")
    restored = pickle.loads(pickle.dumps(transform))
    image = model_shaped(library, seed=4)
    ours, theirs = library.run(transform, [(image, None)], seed=5), library.run(restored, [(image, None)], seed=5)
    assert torch.equal(as_chw(ours[0]), as_chw(theirs[0]))


@by_library
def test_a_checkpoint_directory_can_stand_for_the_model(library, tiny_runs):
    transform = library.transform_class(str(tiny_runs["cgan"]), p=1.0)
    (out,) = library.run(transform, [(model_shaped(library), 4)], seed=0)
    assert as_chw(out).shape == (1, 16, 16)


def augmented_loader(library: Library, tiny_runs, real, start_method: str) -> DataLoader:
    transform = library.transform_class(genaug.load(tiny_runs["cgan"]), p=1.0, bank_size=8)
    dataset = AugmentedImages(real, library, library.pipeline(transform))
    return DataLoader(
        dataset, batch_size=6, num_workers=2, multiprocessing_context=start_method, worker_init_fn=seed_worker
    )


def seeded_epoch(loader: DataLoader, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    images, labels = zip(*loader, strict=True)
    return torch.cat(images), torch.cat(labels)


def assert_augmented_by_distinct_images(library: Library, real, images: torch.Tensor, labels: torch.Tensor) -> None:
    assert torch.equal(labels, real.labels)
    as_real = torch.stack([as_chw(library.from_dataset(image)) for image in real.images])
    assert not torch.equal(torch.stack([as_chw(image) for image in images]), as_real)
    assert len({image.numpy().tobytes() for image in images}) == len(images)  # workers don't repeat each other


@by_library
def test_forked_dataloader_workers_augment_reproducibly(library, tiny_runs, digits16):
    real = digits16.subset(range(24))
    loader = augmented_loader(library, tiny_runs, real, "fork")
    (images, labels), (images_again, labels_again) = seeded_epoch(loader, 0), seeded_epoch(loader, 0)
    assert torch.equal(images, images_again) and torch.equal(labels, labels_again)
    assert_augmented_by_distinct_images(library, real, images, labels)


SPAWN_CASES = [
    pytest.param(TORCHVISION, id="torchvision"),
    pytest.param(ALBUMENTATIONS, id="albumentations", marks=pytest.mark.slow),  # its pickling is tested above
]


@pytest.mark.parametrize("library", SPAWN_CASES)
def test_spawned_dataloader_workers_load_the_model_and_augment(library, tiny_runs, digits16):
    # one epoch: each spawned worker imports torch, torchvision and albumentations (~10 s on 2 busy cores)
    real = digits16.subset(range(24))
    images, labels = seeded_epoch(augmented_loader(library, tiny_runs, real, "spawn"), 0)
    assert_augmented_by_distinct_images(library, real, images, labels)


BAD_ARGUMENTS = [
    ("p", -0.1),
    ("p", 1.5),
    ("p", "0.5"),
    ("p", True),
    ("p", float("nan")),
    ("strength", -1.0),
    ("strength", float("inf")),
    ("strength", "strong"),
    ("mode", "swap"),
    ("bank_size", 0),
    ("bank_size", 2.5),
    ("redraws", -1),
]


@by_library
@pytest.mark.parametrize(("argument", "value"), BAD_ARGUMENTS)
def test_bad_arguments_fail_on_creation_naming_the_argument(library, argument, value, tiny_models):
    with pytest.raises(ValueError, match=argument):
        library.transform_class(tiny_models["ae"], **{argument: value})


@by_library
def test_perturb_needs_an_encoder(library, tiny_models):
    with pytest.raises(ValueError, match=r"mode='perturb'.*\(ae, cvae, diffusion\).*this model is a cgan"):
        library.transform_class(tiny_models["cgan"], mode="perturb")


@by_library
def test_not_a_model_fails_clearly(library, tmp_path):
    with pytest.raises(TypeError, match="checkpoint directory"):
        library.transform_class(42)
    with pytest.raises(CheckpointError, match="does not exist"):
        library.transform_class(tmp_path / "missing")


@by_library
@pytest.mark.parametrize("label", [12, -1])
def test_unknown_labels_fail_naming_the_classes(library, label, tiny_models):
    transform = library.transform_class(tiny_models["cgan"], p=1.0, bank_size=8)
    with pytest.raises(ValueError, match=r"unknown class label .*indices 0-9 or names \['0', '1'"):
        library.run(transform, [(model_shaped(library), label)], seed=0)


@by_library
@pytest.mark.parametrize(
    "label",
    [np.int64(3), np.uint8(3), torch.tensor(3), torch.tensor([3]), np.array([3], dtype=np.uint64)],
    ids=["np_int64", "np_uint8", "tensor_0d", "tensor_1d", "uint64_array_1d"],
)
def test_integer_labels_of_every_kind_mean_their_class(library, label, tiny_models):
    def run(label: Any) -> Any:
        transform = library.transform_class(tiny_models["cgan"], p=1.0, bank_size=4)
        return library.run(transform, [(model_shaped(library), label)], seed=0)[0]

    assert torch.equal(as_chw(run(label)), as_chw(run(3)))


@by_library
@pytest.mark.parametrize(
    ("label", "found"),
    [
        (3.0, "the float 3.0"),
        (True, "the bool True"),
        (torch.tensor([3.0]), r"a tensor of dtype torch.float32 and shape \(1,\): \[3.0\]"),
        (np.array([1, 2]), r"a numpy array of dtype int64 and shape \(2,\): \[1, 2\]"),
    ],
    ids=["float", "bool", "float_tensor", "two_values"],
)
def test_what_stands_where_the_label_belongs_is_named(library, label, found, tiny_models):
    transform = library.transform_class(tiny_models["cgan"], p=1.0, bank_size=4)
    with pytest.raises(TypeError, match=f"found {found} where a class label belongs: .*integer"):
        library.run(transform, [(model_shaped(library), label)], seed=0)


@by_library
@pytest.mark.parametrize(("family", "mode"), [("cgan", "replace"), ("cvae", "perturb")])
def test_a_missing_label_fails_when_one_is_needed(library, family, mode, tiny_models):
    transform = library.transform_class(tiny_models[family], p=1.0, mode=mode)
    with pytest.raises(ValueError, match=f"mode='{mode}' with a {family} model needs each sample's class label"):
        library.run(transform, [(model_shaped(library), None)], seed=0)


@by_library
def test_ae_perturb_needs_no_label(library, tiny_models):
    transform = library.transform_class(tiny_models["ae"], p=1.0, mode="perturb")
    image = model_shaped(library)
    (out,) = library.run(transform, [(image, None)], seed=0)
    assert_same_form(out, image)


class AcceptClass:
    """A filter that keeps the images conditioned on one class (picklable, like the genaug.filters ones)."""

    def __init__(self, class_index: int):
        self.class_index = class_index

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return labels == self.class_index


class SecondTimeLucky:
    """A filter that rejects the first image it sees and accepts every later one."""

    def __init__(self):
        self.calls = 0

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.full((len(images),), self.calls > 1)


@by_library
@pytest.mark.parametrize(("family", "mode"), [("cgan", "replace"), ("ae", "perturb"), ("cvae", "perturb")])
def test_a_filter_judges_each_synthetic_image_as_the_sample_class(library, family, mode, tiny_models):
    transform = library.transform_class(tiny_models[family], p=1.0, mode=mode, filter=AcceptClass(3), redraws=2)
    samples = [(model_shaped(library, seed=k), k % 10) for k in range(20)]
    outs = library.run(transform, samples, seed=0)
    changed = [not torch.equal(as_chw(out), as_chw(image)) for out, (image, _) in zip(outs, samples, strict=True)]
    assert changed == [label == 3 for _, label in samples]  # rejected ones stay real
    assert all(type(out) is type(image) for out, (image, _) in zip(outs, samples, strict=True))


@by_library
@pytest.mark.parametrize(("family", "mode"), [("cgan", "replace"), ("ae", "perturb")])
def test_a_rejected_synthetic_image_is_redrawn_up_to_redraws_times(library, family, mode, tiny_models):
    image = model_shaped(library, seed=4)
    for redraws, expect_changed in [(0, False), (1, True)]:
        transform = library.transform_class(
            tiny_models[family], p=1.0, mode=mode, bank_size=4, filter=SecondTimeLucky(), redraws=redraws
        )
        (out,) = library.run(transform, [(image, 2)], seed=0)
        assert (not torch.equal(as_chw(out), as_chw(image))) is expect_changed


@by_library
def test_a_filter_needs_the_sample_label_even_for_ae_perturb(library, tiny_models):
    transform = library.transform_class(tiny_models["ae"], p=1.0, mode="perturb", filter=AcceptClass(3))
    with pytest.raises(ValueError, match="needs each sample's class label"):
        library.run(transform, [(model_shaped(library), None)], seed=0)
