"""A fit never copies X: peak memory of fit and transform, in fresh processes.

Each case runs ``tests/_memory_child.py`` in a process of its own (two at a
time, one thread each, to keep the suite short), which warms up on a tenth
of the rows, then
reports how far the peak resident memory grew during ``fit`` and
``transform`` on all of X. The growth allowed is 0.3x the size of X, beyond
what the design keeps on purpose: the stack's first-layer codes, the
imputer's standardized copy of X (fit) and each method's output.
Memory, unlike time, is stable on a shared machine: in five runs of every
case no growth went beyond 0.17x of X.
"""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("_memory_child.py")
CASES = ("dense", "missing", "sparse", "stack", "imputer")
LIMIT = 0.3

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(),
    reason="reads the peak resident memory from Linux's /proc",
)


def _measure(case):
    # One thread per process: two processes of two threads each on two
    # cores would spend their time waiting for each other's threads.
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    process = subprocess.run(
        [sys.executable, str(CHILD), case],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )
    assert process.returncode == 0, f"{case} failed:\n{process.stderr}"
    return json.loads(process.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def growth():
    """Each case's measurements, from fresh processes run two at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CASES, pool.map(_measure, CASES), strict=True))


@pytest.mark.parametrize("case", CASES)
def test_fit_copies_nothing_of_x_beyond_what_it_keeps(growth, case):
    measured = growth[case]
    beyond = measured["fit_growth"] - measured["kept_bytes"]
    assert beyond <= LIMIT * measured["x_bytes"], measured


@pytest.mark.parametrize("case", CASES)
def test_transform_holds_little_beyond_its_output(growth, case):
    measured = growth[case]
    beyond = measured["transform_growth"] - measured["output_bytes"]
    assert beyond <= LIMIT * measured["x_bytes"], measured
