"""benchmarks.small_data: each family's budgets, variants and report, bad options, what each budget trains on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from PIL import Image
from torchvision.transforms.v2.functional import pil_to_tensor

from benchmarks import small_data
from benchmarks.small_data import TARGETS, VARIANTS, Settings, describe, markdown
from benchmarks.train_quality import default_recipe
from genaug.data import load, per_class_subset
from genaug.errors import DataError
from genaug.models.diffusion import DiffusionConfig


def test_a_family_brings_its_target_budgets_variants_and_report():
    cgan = Settings.from_argv([])
    assert (cgan.family, cgan.per_class, cgan.report) == ("cgan", [10, 20, 100, 500], "cgan_small_data")
    diffusion = Settings.from_argv(["family=diffusion", "seeds=2"])
    assert diffusion.per_class == sorted(TARGETS["diffusion"]) == [20, 100, 500]
    assert diffusion.variants == list(VARIANTS["diffusion"]) and diffusion.report == "diffusion_small_data"
    assert describe("diffusion", "+unlabelled") == "the rest of the pool as unlabelled images"
    assert describe("cgan", "+ada") == "`model.ada_target=0.6`"


def test_every_variant_changes_its_family_recipe_as_it_says():
    for family, variants in VARIANTS.items():
        shipped = default_recipe(family, [])
        for name, overrides in variants.items():
            configs = default_recipe(family, overrides)  # Hydra composes every override, model's and trainer's
            changed = {
                f"{group}.{f}"
                for group, config, before in zip(("model", "trainer"), configs, shipped, strict=True)
                for f in vars(config)
                if getattr(config, f) != getattr(before, f)
            }
            assert changed == {o.split("=", 1)[0] for o in overrides if o not in small_data.NOW_DEFAULT}, (family, name)


def test_the_table_shows_the_family_targets():
    settings = Settings.from_argv(["family=diffusion", "per_class=20"])
    table = markdown([], "cmd", "machine", settings, {"reference_cnn": 0.98, "svm": 0.95})
    assert "| 20 | *target* | | ≥ 95% | | ≥ 40% | ≥ 93% | ≤ 15% | ≤ 480 |" in table


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["family=gan"], r"unknown family 'gan'; this benchmark knows \['cgan', 'diffusion'\]"),
        (["family=diffusion", "variants=+ada"], r"unknown variant\(s\) \['\+ada'\] of diffusion; valid: \['baseline'"),
        (["stepz=3"], r"unknown option\(s\) \['stepz'\]"),
    ],
)
def test_bad_options_are_named(argv, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_argv(argv)


def test_the_table_shows_every_budget_and_variant_measured_with_all_their_seeds():
    """A rerun for one budget (per_class=100) still shows the rows earlier runs measured at other budgets and
    variants, and chooses among the variants with the most seeds."""
    metrics = {
        "label_fidelity": 0.98, "svm_label_fidelity": 0.97, "recall": 0.8, "coverage": 0.7,
        "memorised_fraction": 0.05, "synthetic_only_accuracy": 0.9, "real_only_accuracy": 0.9, "train_s": 220.0,
    }  # fmt: skip
    measured = ((20, "baseline", 3, 0.99), (20, "+unlabelled", 1, 1.2), (100, "baseline", 1, 0.97))
    rows = [
        {"per_class": n, "seed": seed, "variant": variant, **metrics, "synthetic_over_real": ratio}
        for n, variant, seeds, ratio in measured
        for seed in range(seeds)
    ]
    settings = Settings.from_argv(["family=diffusion", "per_class=100", "seeds=1", "variants=baseline"])
    table = markdown(rows, "cmd", "machine", settings, {"reference_cnn": 0.98, "svm": 0.95})
    assert "| 20 | baseline | 3 | 98.0" in table and "| 20 | +unlabelled | 1 | 98.0" in table
    assert "| 100 | baseline | 1 | 98.0" in table and "| 500 |" not in table
    assert "+unlabelled: the rest of the pool as unlabelled images" in table
    assert "N = 20: **baseline** (3 seeds); N = 100: **baseline** (1 seed)" in table


def test_the_largest_budget_trains_on_every_image_outside_the_validation_split():
    digits = load("digits", image_size=8)
    pool, outside_validation = digits.subset(range(0, 600)), digits
    train, rest = small_data.budget_split(pool, outside_validation, small_data.ALL_OUTSIDE_VALIDATION, seed=0)
    assert train is outside_validation and len(rest) == 0
    train, rest = small_data.budget_split(pool, outside_validation, 5, seed=0)
    assert train.class_counts() == [5] * 10 and len(train) + len(rest) == len(pool)


def test_a_sampling_variant_samples_the_baseline_generator_with_its_options(tmp_path):
    settings = Settings.from_argv(["family=diffusion", "steps=2"])
    train = per_class_subset(load("digits", image_size=8), 2)
    model, _ = small_data.sampling_variant(train, "5 steps", settings, 0, tmp_path, baseline_train_s=None)
    assert model.config.sampling_steps == 5 and (tmp_path / "baseline" / "weights.safetensors").is_file()
    again, seconds = small_data.sampling_variant(train, "guidance 3", settings, 0, tmp_path, baseline_train_s=12.5)
    assert (again.config.guidance, again.config.sampling_steps, seconds) == (3.0, 20, 12.5)  # loaded, not retrained
    for name, weights in model.state_dict().items():
        assert torch.equal(weights, again.state_dict()[name])
    assert "the baseline's generator" in describe("diffusion", "guidance 3")


def test_the_photograph_patches_have_no_targets_and_keep_photos_test_apart():
    with pytest.raises(ValueError, match="data=photos has no targets, hence no default budgets: give per_class"):
        Settings.from_argv(["data=photos"])
    with pytest.raises(ValueError, match=r"unknown data 'cifar'; this benchmark knows \['mnist5k', 'photos'\]"):
        Settings.from_argv(["data=cifar", "per_class=10"])
    settings = Settings.from_argv(["data=photos", "per_class=20", "variants=baseline"])
    table = markdown([], "cmd", "machine", settings, {"reference_cnn": 0.9, "svm": 0.6})
    assert "*target*" not in table and "photos-test unused" in table
    reference, pool, validation, outside_validation = small_data.protocol_splits("photos")
    assert outside_validation is None and pool.source.startswith("photos-train")
    assert len(reference) + len(validation) == 252 and min(validation.class_counts()) >= 14
    seen = {image.numpy().tobytes() for image in reference.images}
    assert not any(image.numpy().tobytes() in seen for image in validation.images)
    train, rest = small_data.budget_split(pool, outside_validation, 20, seed=0)
    assert train.class_counts() == [20] * 9 and len(rest) == len(pool) - 180
    with pytest.raises(DataError, match="class 'astronaut' has 160 image"):  # no larger set than the pool
        small_data.budget_split(pool, outside_validation, small_data.ALL_OUTSIDE_VALIDATION, seed=0)


def test_the_largest_budget_never_sees_a_validation_image():
    reference, pool, validation, outside_validation = small_data.protocol_splits()
    assert len(outside_validation) == len(pool) + len(reference) == 3500
    seen = {image.numpy().tobytes() for image in outside_validation.images}
    assert not any(image.numpy().tobytes() in seen for image in validation.images)
    pairs = zip(pool.class_counts(), reference.class_counts(), strict=True)
    assert outside_validation.class_counts() == [a + b for a, b in pairs]


def test_a_sampling_variant_reports_the_baseline_rows_train_time_when_it_trains_the_baseline_again(
    tmp_path, monkeypatch
):
    trained = []

    def train_again(train, unlabelled, variant, settings, seed, work):
        trained.append((variant, work))
        return SimpleNamespace(config=DiffusionConfig()), 349.5

    monkeypatch.setattr(small_data, "run_variant", train_again)
    settings = Settings.from_argv(["family=diffusion"])
    model, seconds = small_data.sampling_variant(None, "10 steps", settings, 1, tmp_path, baseline_train_s=220.4)
    assert trained == [("baseline", tmp_path / "baseline")]  # no weights were left: trained again
    assert seconds == 220.4 and model.config.sampling_steps == 10
    _, first = small_data.sampling_variant(None, "10 steps", settings, 1, tmp_path, baseline_train_s=None)
    assert first == 349.5  # no baseline row yet: this training's time


def test_the_real_grid_shows_each_classs_training_images_in_its_row(tmp_path):
    train = per_class_subset(load("digits", image_size=8), 3)
    small_data.save_real_grid(train, tmp_path / "real.png")
    with Image.open(tmp_path / "real.png") as png:
        grid = pil_to_tensor(png)  # C x H x W uint8 (torchvision.io's decoding is deprecated)
    pad, cell = 2, 8 + 2  # torchvision's grid: 2 pixels of padding around each 8 x 8 image
    assert grid.shape[1:] == (pad + 10 * cell, pad + small_data.GRID_PER_CLASS * cell)
    first = grid[0, pad : pad + 8, pad : pad + 8]  # the first image of class 0
    torch.testing.assert_close(first, train.images[train.labels == 0][0, 0], atol=1, rtol=0)
    assert grid[0, pad : pad + 8, pad + 3 * cell : pad + 3 * cell + 8].sum() == 0  # a class of 3: blank after


def test_scored_at_stops_one_run_on_its_way_and_it_ends_as_a_straight_run(tmp_path):
    settings = Settings.from_argv(["steps=4", "scored_at=2", "overrides=model.generator_width=8,trainer.batch_size=8"])
    train = per_class_subset(load("digits", image_size=8), 2)
    stops = list(small_data.run_lengths(train, train, "baseline", settings, 0, tmp_path / "stopped"))
    assert [at for at, _, _ in stops] == [2, None] and stops[0][2] < stops[1][2]  # train time adds up
    straight, _ = small_data.run_variant(train, train, "baseline", settings, 0, tmp_path / "straight")
    for (name, x), y in zip(straight.state_dict().items(), stops[-1][1].state_dict().values(), strict=True):
        assert torch.equal(x, y), name
    assert straight.config.generator_width == 8  # the overrides reach every variant
    with pytest.raises(ValueError, match="scored_at= scores trained generators.*drop the sampling variants"):
        Settings.from_argv(["family=diffusion", "scored_at=10"])


def test_the_table_shows_each_earlier_stop_beside_the_run_end():
    metrics = dict.fromkeys(small_data.METRICS, 0.5)
    rows = [
        {"per_class": 10, "seed": 0, "variant": "baseline", "at_steps": 3000, **metrics},
        {"per_class": 10, "seed": 0, "variant": "baseline", **metrics, "synthetic_over_real": 0.9},
    ]
    settings = Settings.from_argv(["per_class=10", "seeds=1", "variants=baseline", "overrides=trainer.precision=bf16"])
    table = markdown(rows, "cmd", "machine", settings, {"reference_cnn": 0.98, "svm": 0.95})
    assert table.index("| 10 | baseline @ 3,000 steps | 1 |") < table.index("| 10 | baseline | 1 |")
    assert "Every run also: `trainer.precision=bf16`" in table and "N = 10: **baseline** (1 seed)" in table
