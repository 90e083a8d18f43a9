"""Measuring generators and their benefit: reference classifier, label fidelity."""

from genaug.metrics.classifier import SmallCNN, accuracy, predict, train_classifier
from genaug.metrics.fidelity import label_fidelity

__all__ = ["SmallCNN", "accuracy", "label_fidelity", "predict", "train_classifier"]
