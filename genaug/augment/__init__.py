"""Augmentation with a trained model: ``BatchAugment`` (whole batches in the training step, on the training
device), the shared logic of the per-image transforms ``genaug.transforms.GenerativeAugment`` (torchvision v2)
and ``genaug.albumentations.GenerativeAugment`` (albumentations), the modes they share (``core``) and the
per-process sample bank behind the per-image replace mode."""

from genaug.augment.batch import BatchAugment

__all__ = ["BatchAugment"]
