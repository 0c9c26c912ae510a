"""Timing, machine description, tables and result files shared by the runs."""

import json
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# The clock of every timing: wall time by default; with ``--clock cpu`` (one
# thread only) the process's CPU time, which a busy shared machine disturbs
# far less than wall time.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def use_clock(name):
    """Time everything that follows with the ``"wall"`` or ``"cpu"`` clock."""
    global clock
    clock = CLOCKS[name]


def interleaved_minimum(contenders, repeats, rounds_between=None):
    """Best wall time of each contender, the contenders run in turns.

    Each round runs every contender once, in an order rotated from round to
    round, so that a slow spell of a shared machine hits all contenders
    alike; the minimum over rounds is the least disturbed run of each.

    Parameters
    ----------
    contenders : dict of str to callable
        Each callable runs the work once; its return value is ignored.
    repeats : int
        Rounds (at least 3 is the house rule).
    rounds_between : callable, optional
        Called after each round (e.g. to sample the GEMM peak again).

    Returns
    -------
    seconds : dict of str to float
        The minimum wall time of each contender.
    all_seconds : dict of str to list of float
        Every run, for the record.
    """
    names = list(contenders)
    times = {name: [] for name in names}
    for round_ in range(repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            start = clock()
            contenders[name]()
            times[name].append(clock() - start)
        if rounds_between is not None:
            rounds_between()
    return {name: min(values) for name, values in times.items()}, times


class GemmPeak:
    """The float32 matrix-product rate of this machine, best of many.

    Sampled several times during a run (:meth:`sample`), so the figure is the
    best moment of the same run the other timings come from.
    """

    def __init__(self, size=2048, device="cpu"):
        self.size = size
        self.device = torch.device(device)
        generator = torch.Generator(device=self.device).manual_seed(0)
        shape = (size, size)
        self._a = torch.rand(shape, generator=generator, device=self.device)
        self._b = torch.rand(shape, generator=generator, device=self.device)
        self.best_seconds = float("inf")

    def sample(self, times=8):
        """Time ``times`` products and keep the fastest seen so far."""
        for _ in range(times):
            synchronize(self.device)
            start = clock()
            torch.mm(self._a, self._b)
            synchronize(self.device)
            self.best_seconds = min(self.best_seconds, clock() - start)
        return self

    @property
    def flops(self):
        """Floating-point operations per second of the best product."""
        return 2 * self.size**3 / self.best_seconds


def synchronize(device):
    """Wait for queued work on a CUDA device (no-op elsewhere)."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def machine():
    """What the figures were measured on, including how busy it was."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (None,) * 3
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "load_average_1_5_15_min": load,
    }


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def print_table(title, header, rows):
    """Print rows (sequences of values) under a header as a Markdown table."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [
        max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(header)
    ]
    print(f"\n### {title}\n")
    print(
        "| "
        + " | ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))
        + " |"
    )
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for row in cells:
        print(
            "| "
            + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
            + " |"
        )
    print(flush=True)


def _cell(value):
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def verdict(value, limit, at_most=True):
    """``"met"`` or ``"NOT met"`` for a figure against its goal."""
    ok = value <= limit if at_most else value >= limit
    return "met" if ok else "NOT met"


def write_json(name, payload, results_dir=RESULTS_DIR):
    """Write ``payload`` (with the machine description) to ``name.json``."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2))
    print(f"wrote {path}")
    return path


def save_figure(figure, path, dpi=110):
    """Write a matplotlib figure to ``path``, close it, and say so."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
    print(f"wrote {path}")


def plot_path(name, results_dir=RESULTS_DIR):
    """Where the PNG ``name`` goes; the folder is created."""
    results_dir.mkdir(parents=True, exist_ok=True)
    return results_dir / f"{name}.png"
