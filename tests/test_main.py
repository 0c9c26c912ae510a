"""The demo, ``python -m skdae``."""

import subprocess
import sys

import pytest

from skdae.__main__ import main


def test_help_lists_the_options():
    out = subprocess.run(
        [sys.executable, "-m", "skdae", "--help"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for option in ("--data {digits,mnist}", "--mnist-dir", "--device", "--output"):
        assert option in out


def test_demo_compares_every_contender_and_draws_digits(tmp_path, capsys):
    png = tmp_path / "digits.png"
    rows = main(["--quiet", "--device", "cpu", "--output", str(png)])
    accuracy = {name.split("(")[0].strip(): acc for name, acc, _ in rows}
    assert list(accuracy) == [
        "raw pixels",
        "PCA",
        "BernoulliRBM",
        "DenoisingAutoencoder",
        "StackedDenoisingAutoencoder",
    ]
    assert accuracy["StackedDenoisingAutoencoder"] >= accuracy["raw pixels"]
    assert accuracy["DenoisingAutoencoder"] > accuracy["BernoulliRBM"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = capsys.readouterr().out
    assert "StackedDenoisingAutoencoder()" in table and "fit (s)" in table


def test_missing_mnist_files_are_a_clear_error(tmp_path):
    with pytest.raises(
        FileNotFoundError, match="t10k-images-idx3-ubyte.*SKDAE_MNIST_DIR"
    ):
        main(["--data", "mnist", "--mnist-dir", str(tmp_path)])
