"""genaug.viz on the tiny models: every view writes a readable PNG of the expected layout; bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import genaug.viz as viz
from genaug.data import load
from genaug.viz.curves import read_metrics
from genaug.viz.figure import CELL_INCHES, DPI
from genaug.viz.latent_map import embed_2d


def png_size(path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


@pytest.mark.parametrize("family", ["cgan", "cvae", "ae", "diffusion"])
def test_sample_grid_has_a_row_per_class(tiny_models, tmp_path, family):
    path = viz.sample_grid(tiny_models[family], tmp_path / "grid.png", n_per_class=4, seed=1)
    width, height = png_size(path)
    assert height > 10 * CELL_INCHES * DPI * 0.8 and width < height  # 10 rows of 4
    three = viz.sample_grid(tiny_models[family], tmp_path / "three.png", n_per_class=4, classes=["1", 2, "3"])
    assert png_size(three)[1] < height / 2


def test_sample_grid_passes_sampling_options(tiny_models, tmp_path):
    viz.sample_grid(tiny_models["cvae"], tmp_path / "cold.png", n_per_class=2, temperature=0.5)
    with pytest.raises(TypeError, match="unknown sampling option"):
        viz.sample_grid(tiny_models["cvae"], tmp_path / "x.png", truncation=0.5)
    with pytest.raises(ValueError, match="unknown class label"):
        viz.sample_grid(tiny_models["cvae"], tmp_path / "x.png", classes=["cat"])


@pytest.mark.parametrize(("family", "method"), [("cvae", "pca"), ("ae", "tsne"), ("cgan", "pca")])
def test_latent_map(tiny_models, digits16, tmp_path, family, method):
    path = viz.latent_map(tiny_models[family], digits16, tmp_path / "map.png", method=method, max_points=200)
    assert png_size(path)[0] > 500


def test_latent_map_refuses_a_data_set_of_another_shape(tiny_models, digits, tmp_path):
    with pytest.raises(ValueError, match=r"\(1, 8, 8\) images .* works on \(1, 16, 16\).*image_size=\(16, 16\)"):
        viz.latent_map(tiny_models["cvae"], digits, tmp_path / "map.png")
    with pytest.raises(TypeError, match="ImageSet"):
        viz.latent_map(tiny_models["cvae"], digits.images, tmp_path / "map.png")
    with pytest.raises(ValueError, match=r"method must be one of \['pca', 'tsne'\], got 'umap'"):
        viz.latent_map(tiny_models["cvae"], load("digits", image_size=16), tmp_path / "map.png", method="umap")


def test_embed_2d_separates_separated_clusters():
    rng = np.random.default_rng(0)
    features = np.concatenate([rng.normal(0, 1, (30, 5)), rng.normal(8, 1, (30, 5))])
    for method in ("pca", "tsne"):
        points = embed_2d(features, method)
        assert points.shape == (60, 2)
        gap = np.linalg.norm(points[:30].mean(0) - points[30:].mean(0))
        assert gap > 2 * points[:30].std(0).max(), method
    np.testing.assert_array_equal(embed_2d(features[:, :1]), np.pad(features[:, :1], ((0, 0), (0, 1))))


@pytest.mark.parametrize("family", ["cvae", "ae"])
def test_reconstructions_and_class_transfer(tiny_models, digits16, tmp_path, family):
    model = tiny_models[family]
    recon = viz.reconstructions(model, digits16, tmp_path / "recon.png", n=5)
    width, height = png_size(recon)
    assert width > height  # two rows of five
    transfer = viz.class_transfer(model, digits16, tmp_path / "transfer.png", n=3, targets=["0", "5"])
    assert png_size(transfer)[0] > png_size(transfer)[1]  # three rows of 1 + 2
    # bare images: the cvae needs labels for its reconstructions
    images = digits16.images[:4]
    if family == "cvae":
        with pytest.raises(ValueError, match="pass labels"):
            viz.reconstructions(model, images, tmp_path / "x.png")
        viz.reconstructions(model, images, tmp_path / "x.png", labels=digits16.labels[:4].tolist())
    else:
        viz.reconstructions(model, [Image.fromarray(img[0].numpy()) for img in images], tmp_path / "x.png")


def test_interpolation_between_data_images_seeds_and_latent_points(tiny_models, digits16, tmp_path):
    strip = viz.interpolation(tiny_models["cvae"], tmp_path / "a.png", data=digits16, steps=6)
    width, height = png_size(strip)
    assert width > 3 * height  # one row of six
    viz.interpolation(tiny_models["cvae"], tmp_path / "b.png", start=3, end=4, labels=("1", "7"))
    viz.interpolation(tiny_models["ae"], tmp_path / "c.png", start=torch.zeros(4), end=torch.ones(4))
    viz.interpolation(tiny_models["cgan"], tmp_path / "d.png", labels=5, spherical=False)
    with pytest.raises(ValueError, match="image indices in 0..1796"):
        viz.interpolation(tiny_models["ae"], tmp_path / "e.png", start=0, end=5000, data=digits16)


def test_training_curves(tiny_runs, tmp_path):
    columns = read_metrics(tiny_runs["cvae"])
    assert {"step", "loss", "recon", "kl"} <= set(columns) and len(columns["step"]) >= 1
    path = viz.training_curves(tiny_runs["cgan"] / "metrics.csv", tmp_path / "curves.png")
    assert png_size(path)[0] > 500
    with pytest.raises(FileNotFoundError, match="metrics.csv does not exist"):
        viz.training_curves(tmp_path)
    (tmp_path / "metrics.csv").write_text("step,loss\n")
    with pytest.raises(ValueError, match="no logged rows"):
        viz.training_curves(tmp_path)


def test_pngs_only_and_written_atomically(tiny_models, tmp_path):
    with pytest.raises(ValueError, match=r"must end in \.png"):
        viz.sample_grid(tiny_models["ae"], tmp_path / "grid.jpg")
    viz.sample_grid(tiny_models["ae"], tmp_path / "deep" / "grid.png", n_per_class=1)
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["grid.png"]  # no temporary file left behind
