"""GPU paths that must also run on the CPU: channels-last and torch.compile (the CUDA runs are manual)."""

from __future__ import annotations

import pytest
import torch

import genaug
from genaug.train import Trainer, TrainerConfig
from genaug.train.acceleration import accelerate
from tests.train.tiny import tiny_config


def run(data, out, family="cvae", **settings):
    config = TrainerConfig(steps=2, batch_size=8, progress=False, tensorboard=False, sample_every=10**6, **settings)
    return Trainer(config, out).fit(data, tiny_config(family))


def test_channels_last_trains_to_a_normal_checkpoint(digits16, tmp_path):
    model = run(digits16, tmp_path / "run", "cgan", channels_last=True)
    conv = model.generator.out_conv.weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    plain = run(digits16, tmp_path / "plain", "cgan")
    # Same maths in another memory order: rounding differs, and Adam turns the rounding noise of near-zero
    # gradients (conv biases before batch norm) into steps of up to lr each, in either direction: two steps apart
    drift = 2 * 2 * max(model.config.lr_generator, model.config.lr_discriminator)
    for (name, x), y in zip(model.state_dict().items(), plain.state_dict().values(), strict=True):
        torch.testing.assert_close(x, y, rtol=1e-3, atol=drift, msg=name)
    loaded = genaug.load(tmp_path / "run")
    torch.testing.assert_close(loaded.sample(4, seed=0), model.cpu().sample(4, seed=0))


def test_compile_wraps_the_conv_trunks_only(digits16):
    model = get_model("cgan", digits16)
    names = list(model.state_dict())
    accelerate(model, channels_last=False, compile=True)
    compiled = [type(m).__name__ for m in model.modules() if getattr(m, "_compiled_call_impl", None) is not None]
    assert compiled == ["UpsamplingTrunk", "UpsamplingTrunk", "DownsamplingTrunk"]  # G, EMA G, D's trunk
    assert list(model.state_dict()) == names  # checkpoints keep their keys


def test_channels_last_trains_a_diffusion_model(digits16, tmp_path):
    model = run(digits16, tmp_path / "run", "diffusion", channels_last=True)
    assert model.net.out_conv.weight.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(genaug.load(tmp_path / "run").sample(4, seed=0), model.cpu().sample(4, seed=0))


def test_compile_wraps_the_diffusion_unets(digits16):
    model = get_model("diffusion", digits16)
    accelerate(model, channels_last=False, compile=True)
    compiled = [type(m).__name__ for m in model.modules() if getattr(m, "_compiled_call_impl", None) is not None]
    assert compiled == ["UNet", "UNet"]  # the live and the EMA network


@pytest.mark.slow
def test_compiled_training_matches_eager(digits16, tmp_path):
    eager = run(digits16, tmp_path / "eager")
    compiled = run(digits16, tmp_path / "compiled", compile=True)
    for (name, x), y in zip(eager.state_dict().items(), compiled.state_dict().values(), strict=True):
        torch.testing.assert_close(x, y, rtol=1e-3, atol=5e-3, msg=name)  # Adam: up to lr (1e-3) per step
    genaug.load(tmp_path / "compiled")


def get_model(family, data):
    from genaug.models.registry import get_family

    config = tiny_config(family).resolved_for(data.images)
    return get_family(family).model_class(config, data.classes, data.image_shape)
