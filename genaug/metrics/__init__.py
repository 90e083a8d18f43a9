"""Measuring generators and their benefit: the reference classifier, feature-space quality metrics (Fréchet
distance, KID, precision/recall, density/coverage, memorisation, label fidelity). The Fréchet distance here
uses reference-CNN features and is not comparable with Inception FID. An RBF-SVM on raw pixels judges label fidelity
independently of that network."""

from genaug.metrics.classifier import CLASSIFIERS, SmallCNN, accuracy, predict, predict_proba, train_classifier
from genaug.metrics.features import extract_features
from genaug.metrics.fidelity import label_fidelity
from genaug.metrics.frechet import KID, frechet_distance, kid
from genaug.metrics.manifold import manifold_scores
from genaug.metrics.memorisation import Memorisation, memorised_fraction
from genaug.metrics.pixel_svm import SVM_C, pixel_rows, svm_label_fidelity, train_pixel_svm
from genaug.metrics.quality import generator_quality
from genaug.metrics.resnet import SmallResNet

__all__ = [
    "CLASSIFIERS",
    "KID",
    "SVM_C",
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
    "pixel_rows",
    "predict",
    "predict_proba",
    "svm_label_fidelity",
    "train_classifier",
    "train_pixel_svm",
]
