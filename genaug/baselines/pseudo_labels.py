"""Pseudo-labelling: the plain semi-supervised baseline that uses unlabelled images without a generator.

A classifier trained on the labelled images labels the unlabelled ones; those it is confident about join the
training set with its labels, and the classifier is trained again (Lee 2013, one round). It is the reference a
user with unlabelled images would also try, so the benchmark's semi-supervised scenario runs it beside genaug.
"""

from __future__ import annotations

import torch
from torch import nn

from genaug.checks import check_probability
from genaug.metrics.classifier import predict_proba

PSEUDO_LABEL_THRESHOLD = 0.95  # a common confidence cut; fixed, never tuned on a test split


def pseudo_labelled(
    classifier: nn.Module, images: torch.Tensor, threshold: float = PSEUDO_LABEL_THRESHOLD
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``images`` (uint8 or float N x C x H x W) that ``classifier`` assigns to a class with probability >=
    ``threshold``, and those classes (int64): the images to add to the labelled set for the second round."""
    threshold = check_probability("threshold", threshold)
    confidence, classes = predict_proba(classifier, images).max(dim=1)
    keep = confidence >= threshold
    return images[keep], classes[keep]
