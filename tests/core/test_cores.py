"""How many run at once: at most the jobs asked for, the tasks and the cores."""

import os

import pytest

from matcue.core.cores import in_flight, usable_cores


@pytest.mark.parametrize(
    ("jobs", "tasks", "cores", "want"),
    [(256, 360, 2, 2), (256, 81, 64, 64), (16, 4, 2, 2), (1, 100, 8, 1), (8, 3, 16, 3), (256, 0, 2, 1)],
)
def test_in_flight_is_the_least_of_jobs_tasks_and_cores_and_at_least_one(jobs, tasks, cores, want):
    assert in_flight(jobs, tasks, cores) == want


def test_usable_cores_are_the_ones_this_process_may_run_on():
    n = usable_cores()
    assert 1 <= n <= (os.cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        assert n == len(os.sched_getaffinity(0))
    assert in_flight(256, 10_000) == min(10_000, n)
