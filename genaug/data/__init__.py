"""genaug.data: load labelled images from anywhere into an in-memory ImageSet, and split it.

Typical use::

    data = genaug.data.load("mnist5k")  # or "digits", "photos-train", a folder, an .npz, (X, y), a Dataset
    train, test = genaug.data.train_test_split(data, test_size=0.2, seed=0)
    small = genaug.data.per_class_subset(train, 10, seed=0)  # inside the 20-per-class one
"""

from genaug.data.builtin import builtin_names, builtin_of, predefined_splits
from genaug.data.imageset import ImageSet
from genaug.data.load import load
from genaug.data.problems import DataWarning, SkippedFile
from genaug.data.split import long_tailed_subset, per_class_split, per_class_subset, train_test_split
from genaug.data.streaming import StreamingData

__all__ = [
    "DataWarning",
    "ImageSet",
    "SkippedFile",
    "StreamingData",
    "builtin_names",
    "builtin_of",
    "load",
    "long_tailed_subset",
    "per_class_split",
    "per_class_subset",
    "predefined_splits",
    "train_test_split",
]
