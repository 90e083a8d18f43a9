"""Memorisation check: flags copies of training images, not fresh real images, in features and pixels."""

from __future__ import annotations

import pytest
import torch

from genaug.metrics import extract_features, memorised_fraction


def test_copies_are_flagged_and_fresh_images_are_not(reference_cnn, digit_splits):
    train, test = digit_splits["train"], digit_splits["test"]
    held_out, fresh = test.images[::2], test.images[1::2]  # two disjoint halves of the real test images
    copies = train.images[:200]
    for space in ("features", "pixels"):
        if space == "features":
            train_x, held_x, fresh_x, copy_x = (
                extract_features(reference_cnn, x) for x in (train.images, held_out, fresh, copies)
            )
        else:
            train_x, held_x, fresh_x, copy_x = (
                x.double().flatten(1) / 255 for x in (train.images, held_out, fresh, copies)
            )
        copied = memorised_fraction(train_x, held_x, copy_x)
        assert copied.fraction == 1.0 and copied.threshold > 0, space
        fresh_result = memorised_fraction(train_x, held_x, fresh_x)
        assert fresh_result.fraction < 0.15, space  # about the 5% quantile: fresh images are as close as test ones
        half = memorised_fraction(train_x, held_x, torch.cat([copy_x[:100], fresh_x[:100]]))
        assert 0.5 <= half.fraction < 0.6, space


def test_threshold_is_the_quantile_of_test_to_train_distances():
    train = torch.zeros(1, 1)
    test = torch.arange(1, 101, dtype=torch.float64).view(-1, 1)  # distances 1..100 to the one training point
    synthetic = torch.tensor([[0.0], [2.0], [5.9], [6.0], [50.0]])
    result = memorised_fraction(train, test, synthetic, quantile=0.05)
    assert result.threshold == pytest.approx(5.95)  # torch.quantile's linear interpolation
    assert result.fraction == pytest.approx(3 / 5)  # 0, 2 and 5.9 are closer than 5.95; 6 and 50 are not


def test_bad_arguments():
    x = torch.rand(5, 3)
    with pytest.raises(ValueError, match="quantile"):
        memorised_fraction(x, x, x, quantile=1.0)
    with pytest.raises(ValueError, match="test has dimension 2"):
        memorised_fraction(x, torch.rand(5, 2), x)
