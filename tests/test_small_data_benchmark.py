"""benchmarks.small_data's settings: each family's budgets, variants and report, and bad options."""

from __future__ import annotations

import pytest

from benchmarks.small_data import TARGETS, VARIANTS, Settings, describe, markdown


def test_a_family_brings_its_target_budgets_variants_and_report():
    cgan = Settings.from_argv([])
    assert (cgan.family, cgan.per_class, cgan.report) == ("cgan", [10, 20, 100, 500], "cgan_small_data")
    diffusion = Settings.from_argv(["family=diffusion", "seeds=2"])
    assert diffusion.per_class == sorted(TARGETS["diffusion"]) == [20, 100, 500]
    assert diffusion.variants == list(VARIANTS["diffusion"]) and diffusion.report == "diffusion_small_data"
    assert describe("diffusion", "+unlabelled") == "the rest of the pool as unlabelled images"
    assert describe("cgan", "+ada") == "`model.ada_target=0.6`"


def test_the_table_shows_the_family_targets():
    settings = Settings.from_argv(["family=diffusion", "per_class=20"])
    table = markdown([], "cmd", "machine", settings, {"reference_cnn": 0.98, "svm": 0.95})
    assert "| 20 | *target* | | ≥ 95% | | ≥ 40% | ≥ 93% | ≤ 15% | ≤ 480 |" in table


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["family=gan"], r"unknown family 'gan'; this benchmark knows \['cgan', 'diffusion'\]"),
        (["family=diffusion", "variants=+ada"], r"unknown variant\(s\) \['\+ada'\] of diffusion; valid: \['baseline'"),
        (["stepz=3"], r"unknown option\(s\) \['stepz'\]"),
    ],
)
def test_bad_options_are_named(argv, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_argv(argv)
