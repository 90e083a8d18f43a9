"""The trainer's nested state (optimisers, RNG) survives the trip through safetensors without pickle."""

from __future__ import annotations

import json

import torch

from genaug.train.state_io import join_tensors, split_tensors


def test_nested_state_round_trip():
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.ones(3))], betas=(0.1, 0.2))
    optimizer.param_groups[0]["params"][0].grad = torch.ones(3)
    optimizer.step()
    tensors: dict = {}
    skeleton = split_tensors(optimizer.state_dict(), "opt", tensors)
    restored = join_tensors(json.loads(json.dumps(skeleton)), tensors)
    assert restored["param_groups"][0]["betas"] == (0.1, 0.2)
    torch.testing.assert_close(restored["state"][0]["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"])
