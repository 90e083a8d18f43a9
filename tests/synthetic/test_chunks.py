"""Chunks: seeds derived from (seed, class, chunk, round), chunk spans, and filtered draws."""

from __future__ import annotations

import pytest
import torch

from genaug.synthetic import chunks
from genaug.synthetic.chunks import CHUNK_SIZE, chunk_seed, chunk_spans, render_chunk


@pytest.fixture(scope="module")
def model(tiny_models):
    return tiny_models["cgan"]  # 10 classes "0".."9", 1×16×16


def test_chunk_seeds_depend_on_every_coordinate_and_nothing_else():
    seeds = {chunk_seed(s, k, c, r) for s in range(3) for k in range(3) for c in range(3) for r in range(3)}
    assert len(seeds) == 81 and all(0 <= s < 2**63 for s in seeds)
    assert chunk_seed(5, 2, 7) == chunk_seed(5, 2, 7, 0) == chunk_seed(5, 2, 7)


def test_chunk_spans_cover_the_indices_once():
    spans = list(chunk_spans(2 * CHUNK_SIZE + 2))
    assert [c for c, _ in spans] == [0, 1, 2]
    assert [list(r) for _, r in spans][2] == [2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 1]
    assert [j for _, r in spans for j in r] == list(range(2 * CHUNK_SIZE + 2))
    assert list(chunk_spans(0)) == []


def test_a_chunk_is_one_seeded_draw_of_the_class(model):
    chunk = render_chunk(model, seed=3, class_index=4, chunk_index=2)
    expected = model.sample(CHUNK_SIZE, labels=4, seed=chunk_seed(3, 4, 2), batch_size=CHUNK_SIZE)
    assert chunk.shape == (CHUNK_SIZE, 1, 16, 16) and chunk.device.type == "cpu"
    assert torch.equal(chunk, expected.cpu())
    assert not torch.equal(chunk, render_chunk(model, seed=3, class_index=4, chunk_index=3))
    assert not torch.equal(chunk, render_chunk(model, seed=4, class_index=4, chunk_index=2))


def test_a_filtered_chunk_takes_accepted_images_from_further_draws(model):
    seen_labels = []

    def every_other(images, labels):
        seen_labels.append(labels)
        assert 0 <= images.min() <= images.max() <= 1
        return torch.arange(len(images)) % 2 == 0

    chunk = render_chunk(model, seed=0, class_index=7, chunk_index=1, keep=every_other)
    draws = [model.sample(CHUNK_SIZE, labels=7, seed=chunk_seed(0, 7, 1, r), batch_size=CHUNK_SIZE) for r in (0, 1)]
    assert torch.equal(chunk, torch.cat([d[0::2] for d in draws]))
    assert len(seen_labels) == 2 and all(torch.equal(labels, torch.full((CHUNK_SIZE,), 7)) for labels in seen_labels)


def test_a_hopeless_filter_gives_up_with_the_acceptance_rate(model, monkeypatch):
    monkeypatch.setattr(chunks, "MAX_ROUNDS", 3)

    def one_per_draw(images, labels):
        return torch.arange(len(images)) == 0

    with pytest.raises(ValueError, match=rf"accepted 3 of {3 * CHUNK_SIZE} .* class '2' \(1\.6%\).*threshold"):
        render_chunk(model, 0, 2, 0, keep=one_per_draw)


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (lambda images, labels: [True] * len(images), TypeError, "bool tensor"),
        (lambda images, labels: torch.ones(len(images)), TypeError, "float32"),
        (lambda images, labels: torch.ones(len(images) + 1, dtype=torch.bool), ValueError, "shape"),
    ],
)
def test_a_filter_must_answer_one_bool_per_image(model, answer, error, message):
    with pytest.raises(error, match=message):
        render_chunk(model, 0, 0, 0, keep=answer)
