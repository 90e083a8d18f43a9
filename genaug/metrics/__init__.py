"""Measuring generators and their benefit: the reference classifier, feature-space quality metrics (Fréchet
distance, KID, precision/recall, density/coverage, memorisation, label fidelity). The Fréchet distance here
uses reference-CNN features and is not comparable with Inception FID."""

from genaug.metrics.classifier import CLASSIFIERS, SmallCNN, accuracy, predict, predict_proba, train_classifier
from genaug.metrics.features import extract_features
from genaug.metrics.fidelity import label_fidelity
from genaug.metrics.frechet import KID, frechet_distance, kid
from genaug.metrics.manifold import manifold_scores
from genaug.metrics.memorisation import Memorisation, memorised_fraction
from genaug.metrics.quality import generator_quality
from genaug.metrics.resnet import SmallResNet

__all__ = [
    "CLASSIFIERS",
    "KID",
    "Memorisation",
    "SmallCNN",
    "SmallResNet",
    "accuracy",
    "extract_features",
    "frechet_distance",
    "generator_quality",
    "kid",
    "label_fidelity",
    "manifold_scores",
    "memorised_fraction",
    "predict",
    "predict_proba",
    "train_classifier",
]
