"""Class transfer (translate), latent features and interpolation on every family that has them."""

from __future__ import annotations

import pytest
import torch

from genaug.models.latent_path import latent_path


@pytest.fixture(scope="module")
def sevens(digits16) -> torch.Tensor:
    """Four real 16×16 sevens, uint8 N×1×H×W."""
    return digits16.images[digits16.labels == 7][:4]


def test_cvae_translate_decodes_the_style_code_under_the_target_class(tiny_models, sevens):
    model = tiny_models["cvae"]
    twos = model.translate(sevens, "2")
    assert twos.shape == (4, 1, 16, 16) and twos.min() >= 0 and twos.max() <= 1
    torch.testing.assert_close(twos, model.reconstruct(sevens, [2] * 4))
    torch.testing.assert_close(model.translate(sevens, [2, 2, 2, 2], batch_size=3), twos)
    assert not torch.allclose(model.translate(sevens, 3), twos)
    torch.testing.assert_close(model.translate(sevens[0], 2), twos[:1])  # one C×H×W image


def test_ae_translate_moves_codes_by_the_difference_of_class_means(tiny_models, sevens):
    model = tiny_models["ae"]
    means = model.class_code_means()
    assert means.shape == (10, model.latent_dim)
    torch.testing.assert_close(model.translate(sevens, 7, source_labels=7), model.reconstruct(sevens))
    codes = model.encode(sevens)
    expected = model.decode(codes - means[7] + means[2])
    torch.testing.assert_close(model.translate(sevens, "2", source_labels="7"), expected)
    likely = model.class_log_likelihood(codes).argmax(dim=1)
    torch.testing.assert_close(model.translate(sevens, 2), model.decode(codes - means[likely] + means[2]))


def test_ae_class_log_likelihood_matches_sklearn_mixture_densities(tiny_models, digits16):
    from scipy.stats import multivariate_normal

    model = tiny_models["ae"]
    codes = model.encode(digits16.images[:3])
    k = 4
    weights = model.density_logits[k].softmax(0)
    expected = [
        torch.logsumexp(
            torch.tensor(
                [
                    float(weights[m].log())
                    + multivariate_normal.logpdf(
                        codes[i].double().numpy(),
                        model.density_means[k, m].double().numpy(),
                        (model.density_scale_tril[k, m] @ model.density_scale_tril[k, m].T).double().numpy(),
                    )
                    for m in range(model.config.density_components)
                    if weights[m] > 0
                ]
            ),
            0,
        )
        for i in range(3)
    ]
    torch.testing.assert_close(
        model.class_log_likelihood(codes)[:, k], torch.stack(expected).float(), rtol=1e-4, atol=1e-3
    )


def test_translate_errors(tiny_models, sevens):
    with pytest.raises(ValueError, match=r"unknown class label 'cat'.*names \['0', '1'"):
        tiny_models["cvae"].translate(sevens, "cat")
    with pytest.raises(ValueError, match="got 2 labels for 4 samples"):
        tiny_models["ae"].translate(sevens, [1, 2])
    with pytest.raises(
        NotImplementedError,
        match=r"cgan models have no translate\(\); families with one: \['ae', 'cvae', 'diffusion'\]",
    ):
        tiny_models["cgan"].translate(sevens, 2)


@pytest.mark.parametrize(("family", "width"), [("cvae", 4), ("ae", 4), ("cgan", None), ("diffusion", 16)])
def test_latent_features(tiny_models, sevens, family, width):
    model = tiny_models[family]
    features = model.latent_features(sevens)
    assert features.shape[0] == 4 and features.ndim == 2 and torch.isfinite(features).all()
    if width is not None:
        assert features.shape[1] == width
    torch.testing.assert_close(model.latent_features(sevens, batch_size=1), features)
    if family == "cvae":
        torch.testing.assert_close(features, model.encode(sevens)[0])


def test_cvae_interpolates_between_images_and_classes(tiny_models, sevens, digits16):
    model = tiny_models["cvae"]
    two = digits16.images[digits16.labels == 2][0]
    strip = model.interpolate(sevens[0], two, steps=5, labels=("7", "2"))
    assert strip.shape == (5, 1, 16, 16)
    torch.testing.assert_close(strip[0], model.translate(sevens[0], 7)[0])
    torch.testing.assert_close(strip[-1], model.translate(two, 2)[0])
    a, b = torch.zeros(4), torch.ones(4)
    torch.testing.assert_close(model.interpolate(a, b, steps=3, labels=1)[0], model.decode(a[None], 1)[0])
    with pytest.raises(ValueError, match="labels are required"):
        model.interpolate(a, b)
    with pytest.raises(ValueError, match="latent_dim=4"):
        model.interpolate(torch.zeros(5), b, labels=1)
    with pytest.raises(ValueError, match="steps must be"):
        model.interpolate(a, b, steps=1, labels=1)
    with pytest.raises(ValueError, match="one image"):
        model.interpolate(sevens[:2], b, labels=1)


def test_ae_and_cgan_interpolate(tiny_models, sevens):
    ae = tiny_models["ae"]
    strip = ae.interpolate(sevens[0], sevens[1], steps=4)
    torch.testing.assert_close(strip[[0, -1]], ae.reconstruct(sevens[:2]))
    cgan = tiny_models["cgan"]
    z = torch.randn(2, cgan.latent_dim, generator=torch.Generator().manual_seed(0))
    strip = cgan.interpolate(z[0], z[1], steps=4, labels="3")
    torch.testing.assert_close(strip[[0, -1]], cgan.generate(z, torch.tensor([3, 3])))
    with pytest.raises(TypeError, match="no encoder"):
        cgan.interpolate(sevens[0], sevens[1])
    with pytest.raises(ValueError, match="within one class"):
        cgan.interpolate(z[0], z[1], labels=(1, 2))


def test_latent_path_lerp_and_slerp():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    line = latent_path(a, b, 3, spherical=False)
    torch.testing.assert_close(line[1], torch.tensor([0.5, 0.5]))
    arc = latent_path(a, b, 3)
    torch.testing.assert_close(arc[[0, -1]], torch.stack([a, b]))
    torch.testing.assert_close(arc[1].norm(), torch.tensor(1.0))  # stays on the circle
    torch.testing.assert_close(latent_path(a, 2 * a, 3)[1], 1.5 * a)  # parallel: a straight line
