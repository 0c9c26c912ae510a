import numpy as np
import pytest
import torch

from skdae import DenoisingAutoencoder
from skdae._corruption import Corruption
from skdae._modules import AutoencoderLayer, init_layer_params
from skdae._solvers import make_optimizer
from skdae._training import (
    TrainingDivergedError,
    TrainingInterruptedWarning,
    TrainingOptions,
    TrainingSet,
    resolve_batch_size,
    train,
)

CPU = torch.device("cpu")


def _layer(n_features=5, n_components=3):
    X = np.random.RandomState(1).uniform(size=(20, n_features)).astype(np.float32)
    params = init_layer_params(
        X, n_components, "sigmoid", "mse", True, np.random.RandomState(0)
    )
    return AutoencoderLayer(params, "sigmoid", "mse", CPU)


def _run(
    layer, data, objective=None, validation_score=None, description="", **settings
):
    generator = torch.Generator().manual_seed(0)
    objective = objective or layer.objective(Corruption("masking", 0.2), generator)
    options = TrainingOptions(
        **{"max_iter": 5, "batch_size": 4, "n_iter_no_change": None, **settings}
    )
    return train(
        layer,
        objective,
        data,
        make_optimizer(layer, "adam", 1e-2, 0.0),
        options,
        generator=generator,
        validation_score=validation_score,
        description=description,
    )


def test_batches_cover_each_training_row_once():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    data = TrainingSet(X, CPU, rows=np.array([1, 3, 5, 7, 9]))
    seen = torch.cat([x[:, 0] for x, _, _ in data.batches(2, torch.Generator(), True)])
    assert sorted(seen.tolist()) == [2.0, 6.0, 10.0, 14.0, 18.0]
    assert len(data) == 5


def test_sample_weights_are_rescaled_to_mean_one_on_the_training_rows():
    X = np.zeros((4, 1), dtype=np.float32)
    data = TrainingSet(
        X, CPU, rows=np.array([0, 1]), sample_weight=np.array([1.0, 3.0, 100.0, 100.0])
    )
    weights = torch.cat([w for _, _, w in data.batches(2, torch.Generator(), False)])
    assert weights.tolist() == [0.5, 1.5]


def test_training_lowers_the_loss_and_counts_epochs():
    X = np.random.RandomState(0).uniform(size=(64, 5)).astype(np.float32)
    result = _run(_layer(), TrainingSet(X, CPU), max_iter=30)
    assert result.n_iter == 30 and len(result.loss_curve) == 30
    # The layer starts near the mean predictor and ends well below it.
    mean_predictor_loss = 0.5 * ((X - X.mean(axis=0)) ** 2).sum(axis=1).mean()
    assert result.loss_curve[-1] < 0.75 * mean_predictor_loss
    assert not result.converged


def test_stopping_rule_ends_training_and_validation_restores_the_best():
    X = np.random.RandomState(0).uniform(size=(32, 5)).astype(np.float32)
    scores = iter([1.0, 5.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    layer = _layer()
    best = {}

    def validation_score():
        score = next(scores)
        if score == 5.0:
            best.update({k: v.clone() for k, v in layer.state_dict().items()})
        return score

    result = _run(
        layer,
        TrainingSet(X, CPU),
        max_iter=50,
        tol=0.0,
        n_iter_no_change=2,
        validation_score=validation_score,
    )
    assert result.converged and result.n_iter == 5
    assert result.validation_scores == [1.0, 5.0, 2.0, 2.0, 2.0]
    assert result.best_validation_score == 5.0
    for name, value in layer.state_dict().items():
        assert torch.equal(value, best[name])


def test_divergence_is_a_clear_error():
    X = np.ones((8, 5), dtype=np.float32)
    layer = _layer()

    def exploding(x, target, weight):
        return (layer(x) * float("inf")).sum()

    with pytest.raises(TrainingDivergedError, match="epoch 1.*learning_rate_init"):
        _run(layer, TrainingSet(X, CPU), objective=exploding)


def test_keyboard_interrupt_keeps_the_model_and_warns():
    X = np.ones((8, 5), dtype=np.float32)
    layer = _layer()
    calls = []

    def interrupting(x, target, weight):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return layer(x).square().sum()

    with pytest.warns(TrainingInterruptedWarning, match="during epoch 3 of layer 1"):
        result = _run(
            layer, TrainingSet(X, CPU), objective=interrupting, description="layer 1"
        )
    assert result.interrupted and result.n_iter == 2


def test_verbose_two_prints_one_line_per_epoch(capsys):
    X = np.ones((8, 5), dtype=np.float32)
    _run(_layer(), TrainingSet(X, CPU), max_iter=3, verbose=2, description="layer 2")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("layer 2: epoch 1, loss = ")


def test_verbose_one_shows_a_progress_bar(capsys):
    X = np.ones((8, 5), dtype=np.float32)
    _run(_layer(), TrainingSet(X, CPU), max_iter=3, verbose=1)
    assert "3/3" in capsys.readouterr().err


@pytest.mark.parametrize(
    "batch_size, n_samples, largest, expected",
    [
        ("auto", 10, 128, 10),
        ("auto", 40, 128, 32),
        # Small data sets get n_samples / 32 rows, hence enough steps.
        ("auto", 1200, 128, 37),
        ("auto", 5000, 128, 128),
        ("auto", 10**6, 128, 128),
        # The sparse path's modules allow larger ones.
        ("auto", 10**6, 512, 512),
        (500, 200, 128, 200),
        (32, 200, 128, 32),
    ],
)
def test_batch_size_never_exceeds_the_rows(batch_size, n_samples, largest, expected):
    assert resolve_batch_size(batch_size, n_samples, largest) == expected


def test_options_are_the_estimators_training_parameters():
    dae = DenoisingAutoencoder(
        solver="sgd", learning_rate_init=0.1, batch_size=16, tol=0.5, verbose=2
    )
    options = TrainingOptions.of(dae, max_iter=7)
    assert (options.solver, options.learning_rate_init) == ("sgd", 0.1)
    assert (options.batch_size, options.tol, options.verbose) == (16, 0.5, 2)
    assert options.max_iter == 7 and options.n_iter_no_change == 10
    one_epoch = TrainingOptions.of(dae.set_params(early_stopping=True)).one_epoch()
    assert one_epoch.max_iter == 1 and one_epoch.n_iter_no_change is None
    assert not one_epoch.early_stopping and one_epoch.solver == "sgd"


def test_a_held_out_part_shares_x_and_reweights_its_rows():
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    weight = np.arange(1.0, 21.0)
    data = TrainingSet(X, CPU, rows=np.arange(10), sample_weight=weight)
    training, validation = data.hold_out(0.2, np.random.RandomState(0))
    assert len(training) == 8 and len(validation) == 2
    # Both parts come from the rows given, and cover them once.
    assert sorted([*training.rows, *validation]) == list(range(10))
    assert training.X is data.X and len(data) == 10
    weights = torch.cat(
        [w for _, _, w in training.batches(8, torch.Generator(), False)]
    )
    expected = weight[training.rows] / weight[training.rows].mean()
    np.testing.assert_allclose(weights.numpy(), expected, rtol=1e-6)
