"""The training-data fingerprint a run records: equal for the same data, different for other images, labels, order
or count; a StreamingData's holds only what is known without reading its images."""

from __future__ import annotations

import torch

from genaug.data import ImageSet, StreamingData
from genaug.data.fingerprint import fingerprint, fingerprint_differences


def test_the_same_data_has_the_same_fingerprint(digits16):
    again = ImageSet(digits16.images.clone(), digits16.labels.clone(), list(digits16.classes))
    assert fingerprint(again) == fingerprint(digits16)
    assert fingerprint_differences(fingerprint(digits16), fingerprint(again)) == []


def test_other_data_differs_in_what_changed(digits16):
    recorded = fingerprint(digits16)
    darker = fingerprint(ImageSet(digits16.images // 2, digits16.labels, digits16.classes))
    assert fingerprint_differences(recorded, darker) == ["the images (a sample of 64) (their SHA-256 differs)"]
    fewer = fingerprint_differences(recorded, fingerprint(digits16.subset(list(range(10)))))
    assert fewer[0] == "num_images (recorded: 1797, now: 10)"


def test_streamed_data_is_fingerprinted_without_reading_its_images(digits16, monkeypatch):
    streamed = StreamingData(digits16)
    monkeypatch.setattr(StreamingData, "__getitem__", lambda self, i: (_ for _ in ()).throw(AssertionError("read")))
    record = fingerprint(streamed)
    assert "sampled_images_sha256" not in record
    in_memory = fingerprint(digits16)
    assert record == {k: v for k, v in in_memory.items() if k != "sampled_images_sha256"}
    assert fingerprint_differences(in_memory, record) == []  # only what both hold is compared
    relabelled = StreamingData(ImageSet(digits16.images, torch.roll(digits16.labels, 1), digits16.classes))
    assert fingerprint_differences(record, fingerprint(relabelled)) == ["the labels (their SHA-256 differs)"]
