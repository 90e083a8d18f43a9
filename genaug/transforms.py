"""torchvision v2 transforms backed by a trained genaug model: ``v2.Compose([GenerativeAugment(model), ...])``."""

from genaug.augment.torchvision_transform import GenerativeAugment

__all__ = ["GenerativeAugment"]
