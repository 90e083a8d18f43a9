"""albumentations transforms backed by a trained genaug model: ``A.Compose([GenerativeAugment(model), ...])``.

Importing this module also registers the transform, so ``A.from_dict``/``A.load`` can rebuild saved pipelines.
Needs the ``genaug[albumentations]`` extra (MIT albumentations 2.0.x) or albumentationsx (AGPL-3.0).
"""

from genaug.augment.albumentations_transform import GenerativeAugment

__all__ = ["GenerativeAugment"]
