"""Model families (cgan, cvae, ae), the shared GenerativeModel interface and the family registry."""

from genaug.models.base import EncodingModel, GenerativeModel
from genaug.models.registry import Family, family_names, get_family

__all__ = ["EncodingModel", "Family", "GenerativeModel", "family_names", "get_family"]
