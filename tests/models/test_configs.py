"""Every family's config checks every hyper-parameter on construction, with a message naming it and the value."""

from __future__ import annotations

import pytest

from genaug.models.autoencoder import AEConfig
from genaug.models.gan import CGANConfig
from genaug.models.vae import CVAEConfig

CONFIGS = [CGANConfig, CVAEConfig, AEConfig]


@pytest.mark.parametrize("config_class", CONFIGS)
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("latent_dim", -5, r"latent_dim must be an int >= 1, got -5"),
        ("latent_dim", "16", r"latent_dim must be an int >= 1, got '16' \(a str\)"),
        ("betas", (2.0, 0.9), r"betas\[0\] must be a number in \[0, 1\), got 2.0"),
        ("betas", (0.9,), r"betas must be two numbers in \[0, 1\) \(Adam's betas\), got \(0.9,\)"),
        ("betas", "0.9", r"betas must be two numbers"),
    ],
)
def test_shared_fields_are_checked(config_class, field, value, message):
    with pytest.raises(ValueError, match=message):
        config_class(**{field: value})


@pytest.mark.parametrize("config_class", [CVAEConfig, AEConfig])
def test_likelihood_is_checked_on_construction(config_class):
    message = r"likelihood must be one of \['auto', 'bernoulli', 'gaussian'\], got 'poisson'"
    with pytest.raises(ValueError, match=message):
        config_class(likelihood="poisson")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("color", r"diffaugment must be 'auto' or a list of ops"),
        (["rotate"], r"unknown DiffAugment op\(s\) \['rotate'\]"),
    ],
)
def test_diffaugment_is_checked_on_construction(value, message):
    with pytest.raises(ValueError, match=message):
        CGANConfig(diffaugment=value)


def test_betas_from_json_become_a_tuple_of_floats():
    assert CVAEConfig(betas=[0, 0.5]).betas == (0.0, 0.5)
