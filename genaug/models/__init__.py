"""Model families (cgan, cvae, ae, diffusion), the shared GenerativeModel interface, the registry and model I/O."""

from genaug.models import autoencoder, diffusion, gan, vae  # noqa: F401  (importing a family registers it)
from genaug.models.base import EncodingModel, GenerativeModel
from genaug.models.io import load
from genaug.models.registry import Family, family_names, get_family

__all__ = ["EncodingModel", "Family", "GenerativeModel", "family_names", "get_family", "load"]
