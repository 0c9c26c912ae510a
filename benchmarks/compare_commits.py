"""Is a change slower? Fit and transform of two commits, side by side.

``python -m benchmarks.compare_commits [--old REV] [--new REV]``, from the
repository root, on a quiet machine. Both commits are exported (``git
archive``, so nothing is added to the repository) into a temporary folder;
each round then runs, in fresh processes and in an order rotated every round:
the old commit, the new one, and the old one again. Every process fits a
DenoisingAutoencoder (784 -> 256) and a StackedDenoisingAutoencoder
((256, 64), unsupervised fine-tuning) on the 5,000 training digits of the
reference split, and transforms 50,000 rows with each; every parameter is
given explicitly, so defaults that differ between the commits do not count.

The table gives each contender's minimum over the rounds and two ratios of
minima: new / old (the change) and old again / old (the noise of the
method on this machine: a change is measured only beyond it). Every run is
written to ``benchmarks/results/compare_commits.json``. Uncommitted changes
are not measured: commit them first.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from ._fresh_processes import (
    add_options,
    alternate,
    ratio_table,
    training_digits,
    write_results,
)

MEASURES = ["dae fit", "dae transform", "sdae fit", "sdae transform"]
REPOSITORY = Path(__file__).resolve().parents[1]


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare_commits",
        description="Fit and transform times of two commits, in alternating "
        "fresh processes.",
    )
    parser.add_argument(
        "--old", default=None, help="default: the merge base of --new and main"
    )
    parser.add_argument("--new", default="HEAD")
    return add_options(parser, epochs=3)


def _git(*args):
    return subprocess.run(
        ["git", *args], cwd=REPOSITORY, check=True, capture_output=True, text=True
    ).stdout.strip()


def _export(revision, folder):
    """The tree of ``revision`` in ``folder``; returns its full commit id."""
    commit = _git("rev-parse", "--verify", f"{revision}^{{commit}}")
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", commit], cwd=REPOSITORY, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return commit


def main(argv=None):
    args = _parser().parse_args(argv)
    old = args.old or _git("merge-base", args.new, "main")
    X_train = training_digits(args)
    with tempfile.TemporaryDirectory(prefix="skdae-compare-") as tmp:
        tmp = Path(tmp)
        commits = {
            "old": _export(old, tmp / "old"),
            "new": _export(args.new, tmp / "new"),
        }
        np.save(tmp / "X.npy", X_train)
        contenders = {
            "old": (tmp / "old", []),
            "new": (tmp / "new", []),
            "old again": (tmp / "old", []),
        }
        print(f"old {commits['old']}\nnew {commits['new']}", flush=True)
        seconds = alternate(
            contenders,
            MEASURES,
            args.processes,
            tmp / "X.npy",
            args.epochs,
            args.threads,
        )
    summary = ratio_table(
        seconds,
        {"new / old": ("new", "old"), "old again / old": ("old again", "old")},
        "compare_commits",
    )
    write_results("compare_commits", args, seconds, summary, commits=commits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
