"""Run the benchmarks: ``python -m benchmarks COMMAND`` (``--help`` lists them).

Run from the repository root, so that ``skdae`` is imported from the working
tree (or from an installed copy). Tables go to stdout; JSON and PNG files to
``benchmarks/results/`` (``--results`` to change).
"""

import argparse
import sys
from pathlib import Path

import torch
from threadpoolctl import threadpool_limits

from ._common import RESULTS_DIR, machine, print_table, use_clock
from .data import DataUnavailable

COMMANDS = (
    "speed",
    "memory",
    "quality",
    "defaults",
    "onnx",
    "impute",
    "tabular",
    "sparse",
    "fewlabels",
    "outliers",
)


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Side-by-side speed, memory, quality, ONNX, imputation and "
        "tabular runs of skdae, and outlier detection on ADBench.",
    )
    parser.add_argument("command", choices=(*COMMANDS, "all"))
    parser.add_argument(
        "--device",
        default="cpu",
        help="torch device of every torch contender: cpu (default), cuda, cuda:N, mps",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="interleaved rounds per timing; the minimum is kept (at least 3)",
    )
    parser.add_argument(
        "--epochs", type=int, default=2, help="epochs per timed fit (speed)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads of torch and of numpy's BLAS (default: the libraries' own)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time (default), or process CPU time: needs --threads 1; "
        "steadier when other jobs share the machine",
    )
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="skip the torch.compile measurement (speed)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="quality, defaults, onnx, impute and tabular: fewer epochs and "
        "rows, for a smoke test of the code",
    )
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.repeats < 3:
        raise SystemExit("--repeats must be at least 3: timings are minima of >= 3.")
    if args.clock == "cpu" and args.threads != 1:
        raise SystemExit("--clock cpu needs --threads 1: CPU time adds up threads.")
    if args.threads:
        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    use_clock(args.clock)
    from skdae._device import resolve_device

    try:
        resolve_device(args.device)
    except ValueError as error:
        raise SystemExit(str(error)) from error
    info = {**machine(), "clock": args.clock}
    print_table("Machine", ["key", "value"], [[k, v] for k, v in info.items()])
    commands = COMMANDS if args.command == "all" else (args.command,)
    for command in commands:
        module = __import__(f"benchmarks.{command}", fromlist=["run"])
        print(f"\n## {command}\n", flush=True)
        try:
            module.run(args)
        except DataUnavailable as error:
            print(f"Skipping {command}: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
