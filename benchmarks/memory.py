"""Memory: peak resident-memory growth of fit and transform (goal 5, issue 4).

Each measurement runs in a fresh Python process (``python -m
benchmarks.memory fit|transform N_ROWS DEVICE``), so that one measurement's
allocations and the allocator's caches never count in another's. The child
creates X (float32, C-contiguous), warms the libraries up on a few rows,
takes its resident memory as the baseline, resets the peak, runs ``fit`` or
``transform`` on all of X and reports the peak's growth over the baseline.
"""

import gc
import json
import resource
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

from ._common import plot_path, print_table, verdict, write_json

N_ROWS = 200_000
N_FEATURES = 784
N_COMPONENTS = 256
LIMIT = 0.35


def _peak_reset():
    """Reset the kernel's peak-RSS mark (Linux); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _status_bytes(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def _current_rss():
    try:
        return _status_bytes("VmRSS")
    except (OSError, KeyError):
        import psutil

        return psutil.Process().memory_info().rss


def _peak_rss(resettable):
    if resettable:
        return _status_bytes("VmHWM")
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def measure(operation, n_rows, device):
    """In this process: the peak RSS growth of ``fit`` or ``transform``.

    Returns
    -------
    result : dict
        ``growth_bytes``, ``x_bytes``, ``output_bytes`` and ``method`` (how
        the peak was read).
    """
    from sklearn.exceptions import ConvergenceWarning

    from skdae import DenoisingAutoencoder

    warnings.simplefilter("ignore", ConvergenceWarning)
    X = np.random.default_rng(0).random((n_rows, N_FEATURES), dtype=np.float32)
    model = DenoisingAutoencoder(
        N_COMPONENTS,
        loss="cross_entropy",
        max_iter=1,
        batch_size=128,
        random_state=0,
        device=device,
    )
    model.fit(X[:2048]).transform(X[:2048])
    gc.collect()
    resettable = _peak_reset()
    baseline = _current_rss() if resettable else _peak_rss(False)
    output = model.fit(X) if operation == "fit" else model.transform(X)
    growth = _peak_rss(resettable) - baseline
    output_bytes = 0 if operation == "fit" else output.nbytes
    return {
        "growth_bytes": growth,
        "x_bytes": X.nbytes,
        "output_bytes": output_bytes,
        "method": "VmHWM reset" if resettable else "ru_maxrss",
    }


def _in_fresh_process(operation, n_rows, device):
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", operation, str(n_rows), device],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    if completed.returncode != 0:
        raise RuntimeError(f"memory child failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run(args):
    """Measure fit and transform, each in its own process; table, JSON, plot."""
    results = {}
    for operation in ("fit", "transform"):
        # Memory, unlike time, does not depend on what else the machine runs:
        # one process per operation is enough.
        runs = [_in_fresh_process(operation, N_ROWS, args.device)]
        best = min(runs, key=lambda r: r["growth_bytes"])
        beyond = best["growth_bytes"] - best["output_bytes"]
        results[operation] = {
            "runs": runs,
            "growth_bytes": best["growth_bytes"],
            "beyond_output_bytes": beyond,
            "ratio": beyond / best["x_bytes"],
            "limit": LIMIT,
        }
    mib = 2**20
    rows = [
        [
            operation,
            r["growth_bytes"] / mib,
            r["runs"][0]["output_bytes"] / mib,
            r["beyond_output_bytes"] / mib,
            r["ratio"],
            verdict(r["ratio"], LIMIT),
        ]
        for operation, r in results.items()
    ]
    x_mib = results["fit"]["runs"][0]["x_bytes"] / mib
    print_table(
        f"Goal 5 - memory: peak RSS growth, X = {N_ROWS} x {N_FEATURES} float32 "
        f"({x_mib:.0f} MiB), 784 -> {N_COMPONENTS}, one epoch, batch 128, "
        "fresh process each",
        [
            "operation",
            "peak growth MiB",
            "output MiB",
            "growth beyond output MiB",
            "/ size of X",
            f"goal <= {LIMIT}",
        ],
        rows,
    )
    write_json("memory", {"n_rows": N_ROWS, **results}, args.results)
    _plot(results, x_mib, plot_path("memory", args.results))
    return results


def _plot(results, x_mib, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3))
    names = list(results)
    axes.bar(names, [results[n]["beyond_output_bytes"] / 2**20 for n in names])
    axes.axhline(LIMIT * x_mib, color="tab:red", label=f"goal: {LIMIT} x size of X")
    axes.axhline(x_mib, color="gray", linestyle="--", label="one copy of X")
    axes.set_ylabel("peak RSS growth beyond output (MiB)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"wrote {path}")


if __name__ == "__main__":
    operation, n_rows, device = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    print(json.dumps(measure(operation, n_rows, device)))
