"""genaug.metrics.pixel_svm: the RBF-SVM on pixels, label fidelity's independent judge."""

from __future__ import annotations

import numpy as np

from genaug.data import ImageSet
from genaug.metrics import pixel_rows, svm_label_fidelity, train_pixel_svm


def test_the_svm_gives_held_out_digits_their_class_and_relabelled_ones_away(digit_splits: dict[str, ImageSet]):
    reference, test = digit_splits["reference"], digit_splits["test"]
    svm = train_pixel_svm(reference.images, reference.labels)
    assert svm_label_fidelity(svm, test.images, test.labels) > 0.95
    wrong = (test.labels + 1) % test.num_classes  # every image conditioned on another class than it shows
    assert svm_label_fidelity(svm, test.images, wrong) < 0.05


def test_uint8_and_float_images_give_the_svm_the_same_pixels(digits16: ImageSet):
    images = digits16.images[:20]
    rows = pixel_rows(images)
    assert rows.shape == (20, images[0].numel()) and rows.dtype == np.float32
    assert np.allclose(rows, pixel_rows(images.float() / 255)) and rows.min() >= 0 and rows.max() <= 1
