"""An independent judge of label fidelity: an RBF-SVM on raw pixels (scikit-learn), trained on real images.

The reference CNN of the other metrics is genaug's own network, so a generator could in principle learn what
fools that kind of network; an SVM on pixels shares none of its features, and the two judges disagreeing says
the samples carry their class less clearly than the CNN alone suggests.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.svm import SVC

from genaug.metrics.classifier import as_float

SVM_C = 10.0  # the SVM's C (gamma "scale"): fixed, never tuned on a validation split


def pixel_rows(images: torch.Tensor) -> np.ndarray:
    """N x C x H x W images (uint8, or float in [0, 1]) as N rows of [0, 1] pixels, the SVM's input."""
    return as_float(images).flatten(1).cpu().numpy()


def train_pixel_svm(images: torch.Tensor, labels: torch.Tensor, c: float = SVM_C) -> SVC:
    """An RBF-SVM fitted to real ``images`` and their ``labels``."""
    return SVC(kernel="rbf", C=c, gamma="scale").fit(pixel_rows(images), torch.as_tensor(labels).cpu().numpy())


def svm_label_fidelity(svm: SVC, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``images`` that ``svm`` assigns the class they were conditioned on (``labels``)."""
    predicted = torch.as_tensor(svm.predict(pixel_rows(images)))
    return float((predicted == torch.as_tensor(labels).cpu()).float().mean())
