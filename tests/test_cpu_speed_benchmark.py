"""benchmarks.cpu_speed: a family's logged training speed at a trainer setting, the table, bad options."""

from __future__ import annotations

import pytest

from benchmarks import cpu_speed
from genaug.data import load, per_class_subset


def test_the_speed_is_what_the_trainer_logs_after_its_warm_up(tmp_path):
    data = per_class_subset(load("digits", image_size=16), 10)
    speed = cpu_speed.images_per_second("ae", cpu_speed.SETTINGS["bf16 + channels_last"], 20, tmp_path / "ae", data)
    assert speed > 0 and (tmp_path / "ae" / "metrics.csv").is_file()


def test_the_table_shows_each_setting_against_fp32():
    speeds = {"cgan": {"fp32": 300.0, "channels_last": 360.0, "bf16": 450.0, "bf16 + channels_last": 600.0}}
    report = {"command": "cmd", "machine": "m", "wall_s": 12.0, "speeds": speeds}
    assert "| cgan | 300 (1.00x) | 360 (1.20x) | 450 (1.50x) | 600 (2.00x) |" in cpu_speed.markdown(report)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["families=gan"], r"unknown famil\(ies\) \['gan'\]"),
        (["steps=10"], "steps must be at least 20"),
        (["stepz=10"], r"unknown option\(s\) \['stepz'\]"),
    ],
)
def test_bad_options_are_named(argv, message):
    with pytest.raises(ValueError, match=message):
        cpu_speed.main(argv)
