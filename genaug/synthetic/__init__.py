"""Synthetic data from a trained model: a lazily generated Dataset, a real + synthetic mix, and export to disk.

syn = genaug.synthetic.SyntheticDataset(model, n_per_class=500, seed=0)
mix = genaug.synthetic.MixedDataset(real, syn, synthetic_fraction=0.5)
genaug.synthetic.export(model, "out/", n_per_class=1000, seed=0)  # ImageFolder tree + manifest.json
"""

from genaug.errors import ExportError
from genaug.synthetic.dataset import SyntheticDataset
from genaug.synthetic.export import export
from genaug.synthetic.mixed import MixedDataset, MixedSampler

__all__ = ["ExportError", "MixedDataset", "MixedSampler", "SyntheticDataset", "export"]
