"""Augmentation with a trained model: the shared logic of ``genaug.transforms.GenerativeAugment`` (torchvision v2)
and ``genaug.albumentations.GenerativeAugment`` (albumentations), and the per-process sample bank behind both."""
