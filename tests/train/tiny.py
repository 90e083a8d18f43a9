"""Tiny configs of every family, for fast tests."""

from __future__ import annotations

from genaug.models.registry import get_family

TINY = {
    "cgan": {"latent_dim": 8, "generator_width": 8, "discriminator_width": 8},
    "cvae": {"latent_dim": 4, "base_width": 8},
    "ae": {"latent_dim": 4, "base_width": 8, "density_components": 2},
    "diffusion": {"base_width": 8, "channel_multipliers": (1, 2), "sampling_steps": 4},
}


def tiny_config(family: str, **overrides):
    return get_family(family).config_class(**{**TINY[family], **overrides})
