"""The demo, ``python -m skdae``."""

import subprocess
import sys

import numpy as np
import pytest

from skdae.__main__ import load_data, main

from .conftest import write_idx


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


def test_mnist_folder_is_the_flag_then_the_variable_then_shared_data(
    tmp_path, monkeypatch
):
    # Three folders of fake digits, told apart by their one label: --mnist-dir,
    # $SKDAE_MNIST_DIR, and ../shared/data/mnist from the current directory.
    folders = [tmp_path / "flag", tmp_path / "variable"]
    folders.append(tmp_path / "shared" / "data" / "mnist")
    for label, folder in enumerate(folders):
        folder.mkdir(parents=True)
        write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((4, 28, 28)))
        write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.full(4, label))
    (tmp_path / "repository").mkdir()
    monkeypatch.chdir(tmp_path / "repository")

    def labels_read(mnist_dir=None):
        X_train, X_test, y_train, y_test, image_shape = load_data("mnist", mnist_dir)
        assert image_shape == (28, 28) and len(X_train) + len(X_test) == 4
        return np.unique(np.concatenate([y_train, y_test])).tolist()

    monkeypatch.delenv("SKDAE_MNIST_DIR", raising=False)
    assert labels_read() == [2]
    monkeypatch.setenv("SKDAE_MNIST_DIR", str(folders[1]))
    assert labels_read() == [1]
    assert labels_read(str(folders[0])) == [0]
