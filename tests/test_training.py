import numpy as np
import pytest
import torch

from skdae._corruption import Corruption
from skdae._modules import AutoencoderLayer, init_layer_params
from skdae._training import (
    TrainingDivergedError,
    TrainingInterruptedWarning,
    TrainingSet,
    denoising_objective,
    make_optimizer,
    train,
)

CPU = torch.device("cpu")


def _layer(n_features=5, n_components=3):
    X = np.random.RandomState(1).uniform(size=(20, n_features)).astype(np.float32)
    params = init_layer_params(
        X, n_components, "sigmoid", "mse", True, np.random.RandomState(0)
    )
    return AutoencoderLayer(params, "sigmoid", "mse", CPU)


def _run(layer, data, objective=None, **kwargs):
    generator = torch.Generator().manual_seed(0)
    objective = objective or denoising_objective(
        layer, Corruption("masking", 0.2), generator
    )
    options = dict(
        optimizer=make_optimizer(layer, "adam", 1e-2, 0.0),
        max_iter=5,
        batch_size=4,
        shuffle=True,
        generator=generator,
    )
    options.update(kwargs)
    return train(layer, objective, data, **options)


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
