"""genaug.viz: pictures of a trained model, written as PNG files (matplotlib, no pyplot state; extra: genaug[viz]).

    genaug.viz.sample_grid(model, "samples.png")                        # n_per_class samples, a row per class
    genaug.viz.latent_map(model, data, "map.png", method="tsne")        # the data set in latent space, by class
    genaug.viz.interpolation(model, "strip.png", start=0, end=1, data=data)   # between two images
    genaug.viz.reconstructions(model, data, "recon.png")                # originals above reconstructions
    genaug.viz.class_transfer(model, data, "transfer.png")              # each image redrawn as every class
    genaug.viz.training_curves("runs/mnist-cvae")                       # metrics.csv, one panel per loss

Each returns the path of the PNG it wrote.
"""

from genaug.optional import require

# Before the views import matplotlib, so that without it the error names the extra to install.
require("matplotlib", extra="viz", feature="genaug.viz")

from genaug.viz.curves import training_curves  # noqa: E402
from genaug.viz.grids import class_transfer, reconstructions, sample_grid  # noqa: E402
from genaug.viz.interpolation import interpolation  # noqa: E402
from genaug.viz.latent_map import latent_map  # noqa: E402

__all__ = ["class_transfer", "interpolation", "latent_map", "reconstructions", "sample_grid", "training_curves"]
