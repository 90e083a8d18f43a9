"""torchvision's policies on float batches: shape, range, seeding, and a fresh draw for every image."""

from __future__ import annotations

import pytest
import torch

from genaug.baselines import POLICIES, BatchPolicyAugment, policy_batch_augment


def digit_batch(digit_splits, n: int = 32) -> torch.Tensor:
    return digit_splits["train"].images[:n].float() / 255


@pytest.mark.parametrize("policy", sorted(POLICIES))
@pytest.mark.parametrize("channels", [1, 3])
def test_policies_keep_shape_dtype_and_range_and_follow_the_seed(policy, channels):
    x = torch.rand(8, channels, 12, 12, generator=torch.Generator().manual_seed(0))
    out = policy_batch_augment(policy, seed=3)(x)
    assert out.shape == x.shape and out.dtype == x.dtype and out.min() >= 0 and out.max() <= 1
    assert torch.equal(out, policy_batch_augment(policy, seed=3)(x))
    assert not torch.equal(out, policy_batch_augment(policy, seed=4)(x))


def test_each_image_gets_its_own_draw(digit_splits):
    image = digit_batch(digit_splits, 1)
    same = image.expand(32, -1, -1, -1).contiguous()
    out = policy_batch_augment("trivialaugment", seed=0)(same)
    assert len({tuple(o.flatten().tolist()) for o in out}) > 10  # torchvision on the batch tensor gives 1


def test_the_draws_are_torchvisions_policy_from_the_own_generator(digit_splits):
    """Each image goes through the torchvision policy as uint8, the global generator seeded from one draw of the
    transform's generator; the global generator is left as it was."""
    x = digit_batch(digit_splits, 8)
    seed = int(torch.randint(0, 2**62, (), generator=torch.Generator().manual_seed(7)))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        policy = POLICIES["randaugment"]()
        expected = torch.stack([policy(image) for image in (x * 255).round().to(torch.uint8)]).float() / 255
    before = torch.get_rng_state()
    assert torch.equal(policy_batch_augment("randaugment", seed=7)(x), expected)
    assert torch.equal(torch.get_rng_state(), before)


def test_a_shared_generator_moves_on_and_labels_are_ignored(digit_splits):
    x, y = digit_batch(digit_splits, 8), digit_splits["train"].labels[:8]
    augment = BatchPolicyAugment(POLICIES["trivialaugment"](), seed=torch.Generator().manual_seed(1))
    first = augment(x, y)
    assert not torch.equal(first, augment(x, y))  # fresh draws on every call
    assert torch.equal(first, policy_batch_augment("trivialaugment", seed=1)(x))


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="policy must be one of"):
        policy_batch_augment("augmix")
    with pytest.raises(ValueError, match="channels"):
        policy_batch_augment("trivialaugment")(torch.rand(2, 2, 8, 8))
    with pytest.raises(ValueError, match="float"):
        policy_batch_augment("trivialaugment")(torch.zeros(2, 1, 8, 8, dtype=torch.uint8))
