"""Does ``skdae._layer_loss`` earn its place? A whole fit, with and without it.

``python -m benchmarks.layer_loss``, from the repository root, on a quiet
machine. Issue 12 keeps the hand-written gradient only if it makes a whole
fit at least 5% faster than plain autograd. Each round runs, in fresh
processes and in an order rotated every round: a fit through the layer loss,
a fit through autograd (``skdae._modules._LAYER_LOSS = False``, the path the
deep stack already trains on), and the layer loss again, for the noise. Each
fit is a DenoisingAutoencoder (784 -> 256, tied, masking 0.25, Adam, batch
128) on the 5,000 training digits of the reference split, with the
cross-entropy and with squared error.

The verdict compares the ratio layer loss / autograd of the minima with
0.95. Every run is written to ``benchmarks/results/layer_loss.json``.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from ._common import print_table, verdict
from ._fresh_processes import (
    add_options,
    alternate,
    ratio_table,
    training_digits,
    write_results,
)

MEASURES = ["dae fit", "dae fit (mse)"]
REPOSITORY = Path(__file__).resolve().parents[1]
# The hand-written gradient stays for a gain of 5% of a whole fit or more.
KEEP_BELOW = 0.95


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.layer_loss",
        description="A whole fit through skdae._layer_loss and through autograd, "
        "in alternating fresh processes.",
    )
    return add_options(parser, epochs=5)


def main(argv=None):
    args = _parser().parse_args(argv)
    X_train = training_digits(args)
    contenders = {
        "layer loss": (REPOSITORY, []),
        "autograd": (REPOSITORY, ["--autograd"]),
        "layer loss again": (REPOSITORY, []),
    }
    with tempfile.TemporaryDirectory(prefix="skdae-layer-loss-") as tmp:
        data = Path(tmp) / "X.npy"
        np.save(data, X_train)
        seconds = alternate(
            contenders, MEASURES, args.processes, data, args.epochs, args.threads
        )
    summary = ratio_table(
        seconds,
        {
            "layer loss / autograd": ("layer loss", "autograd"),
            "layer loss again / layer loss": ("layer loss again", "layer loss"),
        },
        "layer_loss",
    )
    ratios = summary["ratios"]["layer loss / autograd"]
    print_table(
        f"Keep _layer_loss: layer loss / autograd <= {KEEP_BELOW}",
        ["fit", "ratio", "verdict"],
        [[name, value, verdict(value, KEEP_BELOW)] for name, value in ratios.items()],
    )
    write_results("layer_loss", args, seconds, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
