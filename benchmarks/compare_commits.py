"""Is a change slower? Fit and transform of two commits, side by side.

``python -m benchmarks.compare_commits [--old REV] [--new REV]``, from the
repository root, on a quiet machine. Both commits are exported (``git
archive``, so nothing is added to the repository) into a temporary folder;
each round then runs, in fresh processes and in an order rotated every round:
the old commit, the new one, and the old one again. Every process, fresh:

- fits a DenoisingAutoencoder (20,000 -> 256) on a 50,000 x 20,000 bag of
  words (the sparse benchmark's matrix), one epoch: a first fit in a
  process, which pays every lazy import;
- fits a DenoisingAutoencoder (784 -> 64) on 200,000 x 784 float32 random
  values after a warm-up on 500 rows, and reads the growth of its peak
  resident memory (``fit peak MiB``): a fit must not copy X;
- then, after a warm-up, fits a DenoisingAutoencoder (784 -> 256, and with
  the squared error) and a StackedDenoisingAutoencoder ((256, 64),
  unsupervised fine-tuning) on the 5,000 training digits of the reference
  split, and transforms 50,000 rows with each; fits the DAE for one epoch
  (the fixed cost of a fit, which grid searches pay many times); and times
  three cross-entropy epochs of a ReLU DAE already trained 60 epochs on
  2,000 digits (late epochs, where subnormal floats once doubled the time).

Every parameter is given explicitly, so defaults that differ between the
commits do not count.

The table gives each contender's minimum over the rounds and two ratios of
minima: new / old (the change) and old again / old (the noise of the
method on this machine: a change is measured only beyond it). Every run is
written to ``benchmarks/results/compare_commits.json``. Uncommitted changes
are not measured: commit them first.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ._fresh_processes import (
    add_options,
    alternate,
    ratio_table,
    training_digits,
    write_results,
)
from ._trees import export, git
from .data import make_word_counts

MEASURES = [
    "sparse first fit",
    "fit peak MiB",
    "dae fit",
    "dae fit (mse)",
    "dae fit 1 epoch",
    "late ce epochs",
    "dae transform",
    "sdae fit",
    "sdae transform",
]
# The sparse benchmark's bag of words.
SPARSE_SHAPE, SPARSE_ENTRIES = (50_000, 20_000), 1_000_000


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


def main(argv=None):
    args = _parser().parse_args(argv)
    old = args.old or git("merge-base", args.new, "main")
    X_train = training_digits(args)
    with tempfile.TemporaryDirectory(prefix="skdae-compare-") as tmp:
        tmp = Path(tmp)
        commits = {
            "old": export(old, tmp / "old"),
            "new": export(args.new, tmp / "new"),
        }
        np.save(tmp / "X.npy", X_train)
        sp.save_npz(tmp / "words.npz", make_word_counts(*SPARSE_SHAPE, SPARSE_ENTRIES))
        extra = [f"--sparse-data={tmp / 'words.npz'}"]
        contenders = {
            "old": (tmp / "old", extra),
            "new": (tmp / "new", extra),
            "old again": (tmp / "old", extra),
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
