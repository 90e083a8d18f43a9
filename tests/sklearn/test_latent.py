"""LatentEncoder: scikit-learn transformer contract (fit/transform, clone, Pipeline, pickling, feature names)
on real digits with the tiny trained models, every accepted layout of X, and bad input."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from genaug.sklearn.latent import LatentEncoder


@pytest.fixture(scope="module")
def xy(digits16) -> tuple[np.ndarray, np.ndarray]:
    """60 real 16×16 digits as uint8 N×16×16 and their labels."""
    return digits16.images[:60, 0].numpy(), digits16.labels[:60].numpy()


@pytest.mark.parametrize(("family", "width"), [("ae", 4), ("cvae", 4), ("cgan", None)])
def test_transform_gives_the_models_latent_features(tiny_runs, tiny_models, xy, family, width):
    x, _ = xy
    encoder = LatentEncoder(str(tiny_runs[family])).fit(x)
    features = encoder.transform(x)
    expected = tiny_models[family].latent_features(x[:, None]).numpy()
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-5)
    assert features.dtype == np.float32 and features.shape[0] == 60
    if width is not None:
        assert features.shape[1] == width
    names = encoder.get_feature_names_out()
    assert len(names) == features.shape[1] and names[0] == "latentencoder0"


def test_every_layout_of_x_gives_the_same_features(tiny_models, xy):
    x, _ = xy
    encoder = LatentEncoder(tiny_models["ae"]).fit()
    expected = encoder.transform(x)
    layouts = {
        "flat rows": (x.reshape(60, -1), (16, 16)),
        "N×C×H×W": (x[:, None], None),
        "N×H×W×1": (x[..., None], None),
        "floats in [0, 1]": (x / 255.0, None),
        "RGB": (np.repeat(x[..., None], 3, axis=3), None),
    }
    for name, (data, shape) in layouts.items():
        got = LatentEncoder(tiny_models["ae"], image_shape=shape).fit().transform(data)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4, err_msg=name)


def test_clone_pickle_and_pipeline(tiny_runs, xy):
    x, y = xy
    encoder = LatentEncoder(str(tiny_runs["cvae"]), batch_size=7)
    copy = clone(encoder)
    assert copy.get_params() == encoder.get_params() and not hasattr(copy, "model_")
    pipe = make_pipeline(encoder, LogisticRegression(max_iter=500)).fit(x, y)
    assert pipe.score(x, y) > 0.1
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict(x), pipe.predict(x))


def test_pandas_output_names_the_features(tiny_models, xy):
    pytest.importorskip("pandas")
    frame = LatentEncoder(tiny_models["cvae"]).set_output(transform="pandas").fit(xy[0]).transform(xy[0])
    assert list(frame.columns) == [f"latentencoder{i}" for i in range(4)]


def test_bad_input(tiny_runs, tiny_models, xy, tmp_path):
    x, _ = xy
    with pytest.raises(ValueError, match=r"pass image_shape=\(H, W\)"):
        LatentEncoder(tiny_models["ae"]).fit(x.reshape(60, -1))
    with pytest.raises(TypeError, match="checkpoint directory"):
        LatentEncoder(42).fit()
    with pytest.raises(ValueError, match="does not exist"):
        LatentEncoder(str(tmp_path / "missing")).fit()
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LatentEncoder(str(tiny_runs["ae"])).transform(x)
