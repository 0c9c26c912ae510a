"""Timings taken in fresh processes, the contenders in alternation.

Each process imports skdae anew and times each call once after a warm-up
(``_timed_run.py``); a round runs every contender once, in an order rotated
from round to round, so that a slow spell of the machine hits all alike. A
contender's figure is its minimum over the rounds: its least disturbed run.
A contender measured twice under two names shows the noise of the method.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from ._common import RESULTS_DIR, print_table, write_json
from .data import DataUnavailable, reference_split

TIMED_RUN = Path(__file__).resolve().parent / "_timed_run.py"
MIN_PROCESSES = 10


def add_options(parser, epochs):
    """The options of every script built on :func:`alternate`."""
    parser.add_argument(
        "--processes",
        type=int,
        default=MIN_PROCESSES,
        help=f"fresh processes per contender, at least {MIN_PROCESSES} "
        f"(default {MIN_PROCESSES})",
    )
    parser.add_argument(
        "--epochs", type=int, default=epochs, help=f"epochs per fit ({epochs})"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    return parser


def training_digits(args):
    """The 5,000 training digits of the reference split, after checking the
    options; exits with a message when the data are absent."""
    if args.processes < MIN_PROCESSES:
        raise SystemExit(f"--processes must be at least {MIN_PROCESSES}.")
    try:
        return reference_split()[0]
    except DataUnavailable as error:
        raise SystemExit(str(error)) from error


def alternate(contenders, measures, rounds, data, epochs, threads=None):
    """Every contender's seconds per measure, one fresh process a round each.

    Parameters
    ----------
    contenders : dict of str to (Path, list of str)
        The source tree whose skdae each contender runs, and extra arguments
        of ``_timed_run.py``.
    measures : list of str
        Names known to ``_timed_run.py``, in the order they run.
    rounds : int
    data : Path
        A ``.npy`` file holding the training data.
    epochs : int
    threads : int, optional

    Returns
    -------
    seconds : dict of str to dict of str to list of float
        ``seconds[contender][measure]``, one value per round.
    """
    names = list(contenders)
    seconds = {name: {measure: [] for measure in measures} for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            tree, extra = contenders[name]
            run = _run(tree, extra, measures, data, epochs, threads)
            for measure, value in run.items():
                seconds[name][measure].append(value)
        print(f"round {round_ + 1}/{rounds} done", file=sys.stderr, flush=True)
    return seconds


def _run(tree, extra, measures, data, epochs, threads):
    command = [
        sys.executable,
        str(TIMED_RUN),
        f"--tree={tree}",
        f"--data={data}",
        f"--measure={','.join(measures)}",
        f"--epochs={epochs}",
        *([f"--threads={threads}"] if threads else []),
        *extra,
    ]
    # The tree under test comes first on the path, before any installed skdae.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        command, cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"timed run in {tree} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def ratio_table(seconds, pairs, title):
    """Print, and return, the minima and the ratios of minima.

    ``pairs`` maps a row label to ``(numerator, denominator)`` contenders.
    """
    measures = list(next(iter(seconds.values())))
    minima = {
        name: {measure: min(values) for measure, values in runs.items()}
        for name, runs in seconds.items()
    }
    rows = [
        [name, *(f"{minima[name][measure]:.3f}" for measure in measures)]
        for name in seconds
    ]
    print_table(
        f"{title}: minima (seconds; MiB for memory)", ["contender", *measures], rows
    )
    ratios = {
        label: {
            measure: minima[top][measure] / minima[bottom][measure]
            for measure in measures
        }
        for label, (top, bottom) in pairs.items()
    }
    rows = [
        [label, *(f"{ratios[label][measure]:.3f}" for measure in measures)]
        for label in pairs
    ]
    print_table(f"{title}: ratios of minima", ["ratio", *measures], rows)
    return {"minima": minima, "ratios": ratios}


def write_results(name, args, seconds, summary, **settings):
    """Write every run, the options and the summary to ``<name>.json``."""
    settings = {**vars(args), "results": str(args.results), **settings}
    payload = {"settings": settings, "seconds": seconds, **summary}
    return write_json(name, payload, args.results)
