"""All generator-quality metrics of one synthetic sample in one call (used by ``genaug-bench``).

Every metric works in the feature space of ``reference``, a classifier trained on held-out real images of the
same domain (``train_classifier``), not in Inception features: no weights are downloaded and the features fit
small images. The Fréchet distance and KID are therefore *not* comparable with Inception-based FID/KID values;
compare generators only under the same reference classifier and the same sample sizes.

Distribution metrics (Fréchet distance, KID, precision/recall, density/coverage) compare the synthetic images
with the real *test* images, which no generator saw, so copying training images earns nothing there; the
training images serve only the memorisation check.
"""

from __future__ import annotations

import torch
from torch import nn

from genaug.metrics.classifier import accuracy, as_float
from genaug.metrics.features import extract_features
from genaug.metrics.frechet import frechet_distance, kid
from genaug.metrics.manifold import manifold_scores
from genaug.metrics.memorisation import memorised_fraction


def _check_images(**sets: torch.Tensor) -> None:
    """Every set is a non-empty N x C x H x W tensor, all of the same C x H x W."""
    shapes = {}
    for name, images in sets.items():
        if not isinstance(images, torch.Tensor) or images.ndim != 4 or len(images) == 0:
            shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"{name} must be a non-empty N x C x H x W image tensor, got {shape}")
        shapes[name] = tuple(images.shape[1:])
    if len(set(shapes.values())) > 1:
        raise ValueError(f"image sets differ in C x H x W: {shapes}; resize them to one shape first")


def generator_quality(
    reference: nn.Module,
    train_images: torch.Tensor,
    test_images: torch.Tensor,
    synthetic_images: torch.Tensor,
    synthetic_labels: torch.Tensor,
    k: int = 5,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    memorisation_quantile: float = 0.05,
    pixel_memorisation: bool = True,
    seed: int = 0,
) -> dict[str, float]:
    """Quality of ``synthetic_images`` (conditioned on ``synthetic_labels``) from a generator trained on
    ``train_images``, measured against held-out real ``test_images``. Images are N x C x H x W, uint8 or float
    in [0, 1]; ``reference`` is a trained ``SmallCNN``/``SmallResNet`` that saw neither set of real images.

    Returns a dict of floats:

    - ``frechet_distance``: Fréchet distance of Gaussians fitted to test and synthetic features (lower is better);
    - ``kid_mean``, ``kid_std``: KID over ``kid_subsets`` subsets of ``kid_subset_size`` (lower is better, ~0 ideal);
    - ``precision``, ``recall``, ``density``, ``coverage``: k-NN manifold scores against the test features;
    - ``label_fidelity``: share of synthetic images that ``reference`` assigns the class they were conditioned on
      (as ``label_fidelity``, on these images);
    - ``memorised_fraction``, ``memorisation_threshold``: share of synthetic images whose nearest training image
      (in features) is closer than the ``memorisation_quantile`` of the test images' nearest-training distances
      (about ``memorisation_quantile`` when nothing is copied), and that threshold;
    - ``pixel_memorised_fraction``, ``pixel_memorisation_threshold``: the same with Euclidean distances between
      raw [0, 1] pixel vectors, when ``pixel_memorisation``.
    """
    _check_images(train_images=train_images, test_images=test_images, synthetic_images=synthetic_images)
    labels = torch.as_tensor(synthetic_labels).cpu()
    if labels.shape != (len(synthetic_images),):
        raise ValueError(
            f"synthetic_labels must hold one label per synthetic image ({len(synthetic_images)}), got {labels.shape}"
        )
    train, test, synthetic = (extract_features(reference, x) for x in (train_images, test_images, synthetic_images))
    kernel = kid(test, synthetic, subsets=kid_subsets, subset_size=kid_subset_size, seed=seed)
    copies = memorised_fraction(train, test, synthetic, quantile=memorisation_quantile)
    scores = {
        "frechet_distance": frechet_distance(test, synthetic),
        "kid_mean": kernel.mean,
        "kid_std": kernel.std,
        **manifold_scores(test, synthetic, k=k),
        "label_fidelity": accuracy(reference, synthetic_images, labels),
        "memorised_fraction": copies.fraction,
        "memorisation_threshold": copies.threshold,
    }
    if pixel_memorisation:
        pixels = [as_float(x).flatten(1) for x in (train_images, test_images, synthetic_images)]
        pixel_copies = memorised_fraction(*pixels, quantile=memorisation_quantile)
        scores["pixel_memorised_fraction"] = pixel_copies.fraction
        scores["pixel_memorisation_threshold"] = pixel_copies.threshold
    return scores
