"""Schedule: the length of training that trainer.steps="auto" gives a family."""

from __future__ import annotations

import pytest

from genaug.models.schedule import Schedule


def test_passes_over_the_data_between_floor_and_ceiling():
    schedule = Schedule(min_steps=600, epochs=40, max_steps=3000)
    assert schedule.steps(100, 64) == 600  # 63 steps of passes: the floor
    assert schedule.steps(2000, 64) == 1250  # 40 x 2000 / 64
    assert schedule.steps(2001, 64) == 1251  # a partial last step counts
    assert schedule.steps(50_000, 64) == 3000  # the ceiling
    assert Schedule(min_steps=1, epochs=3, max_steps=100).steps(10, 64) == 3  # fewer images than a batch: one a pass


def test_bad_schedules_and_inputs_are_refused():
    with pytest.raises(ValueError, match="max_steps"):
        Schedule(min_steps=10, epochs=1, max_steps=5)
    with pytest.raises(ValueError, match="schedule.epochs"):
        Schedule(min_steps=1, epochs=0, max_steps=5)
    with pytest.raises(ValueError, match="num_images"):
        Schedule(1, 1, 5).steps(0, 64)
