"""genaug.sklearn: scikit-learn / imbalanced-learn style adapters.

``GenerativeOversampler`` follows imbalanced-learn's ``fit_resample(X, y)`` contract for image arrays and works
as a step of an imbalanced-learn ``Pipeline`` (imbalanced-learn itself is optional)::

    X_res, y_res = genaug.sklearn.GenerativeOversampler(family="cvae", random_state=0).fit_resample(X, y)
"""

from genaug.sklearn.latent import LatentEncoder
from genaug.sklearn.oversampler import GenerativeOversampler

__all__ = ["GenerativeOversampler", "LatentEncoder"]
