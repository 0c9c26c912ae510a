"""The sparse path: stored-entry corruption, sampled reconstruction, lazy Adam."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from benchmarks.data import make_word_counts
from skdae import DenoisingAutoencoder
from skdae._corruption import Corruption
from skdae._modules import AutoencoderLayer, init_layer_params, reconstruction_loss
from skdae._sparse import (
    LazyAdam,
    SparseAutoencoderLayer,
    reconstructed_columns,
    resolve_sampling,
    sparse_rows,
)
from skdae._training import TrainingOptions

from .conftest import small_dae, small_sdae

CPU = torch.device("cpu")


def word_counts(n_rows=120, n_columns=3000, n_entries=2400, seed=0):
    """A binary matrix with word-like (Zipf) column frequencies."""
    return make_word_counts(n_rows, n_columns, n_entries, seed)


def sampled_dae(**params):
    return small_dae(**{"reconstruction_sampling": 256, **params})


@pytest.fixture
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# -- the corruption of stored entries ----------------------------------------


def test_masking_acts_on_stored_entries_only():
    X = word_counts(n_rows=2000, n_entries=40_000)
    batch = sparse_rows(X, np.arange(X.shape[0]), CPU)
    generator = torch.Generator().manual_seed(0)
    values = Corruption("masking", 0.3).of_entries(
        batch.values, batch.columns, generator
    )
    # One value per stored entry, so every zero stays a zero; a share masked.
    assert values.shape == batch.values.shape
    masked = (values == 0).float().mean().item()
    n = batch.values.numel()
    assert abs(masked - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    assert set(torch.unique(values).tolist()) <= {0.0, 1.0}


def test_salt_and_pepper_sets_stored_entries_to_their_extremes():
    X = word_counts()
    X.data = np.linspace(0.1, 2.0, X.nnz).astype(np.float32)
    batch = sparse_rows(X, np.arange(X.shape[0]), CPU)
    low, high = torch.zeros(X.shape[1]), torch.full((X.shape[1],), 5.0)
    values = Corruption("salt_and_pepper", 1.0, low, high).of_entries(
        batch.values, batch.columns, torch.Generator().manual_seed(0)
    )
    assert set(torch.unique(values).tolist()) == {0.0, 5.0}


@pytest.mark.parametrize("corruption", ["gaussian", "swap", "unknown"])
def test_stored_entries_refuse_corruptions_that_fill_zeros_in(corruption):
    batch = sparse_rows(word_counts(), np.arange(10), CPU)
    with pytest.raises(ValueError, match=f"corruption='{corruption}'"):
        Corruption(corruption, 0.1).of_entries(
            batch.values, batch.columns, torch.Generator()
        )


@pytest.mark.parametrize("corruption", ["gaussian", "swap"])
def test_corruptions_that_fill_zeros_in_are_refused_or_densified(corruption):
    X = word_counts()
    with pytest.raises(ValueError, match=f"corruption='{corruption}' would make"):
        resolve_sampling(256, X, corruption, has_missing=False)
    assert resolve_sampling("auto", X, corruption, has_missing=False) is None


def test_auto_samples_wide_sparse_input_only():
    assert resolve_sampling("auto", word_counts(), "masking", False) == 1024
    narrow = word_counts(n_columns=500)
    assert resolve_sampling("auto", narrow, "masking", False) is None
    assert resolve_sampling("auto", word_counts().toarray(), "masking", False) is None
    assert resolve_sampling(None, word_counts(), "masking", False) is None
    assert resolve_sampling("auto", word_counts(), "masking", True) is None


# -- the sampled loss is unbiased --------------------------------------------


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("tied", [True, False])
def test_the_sampled_gradient_averages_to_the_exact_one(loss, tied):
    # A tiny problem, no corruption: the mean of many sampled gradients must
    # match the exact gradient within a few of its own standard errors.
    # The model knows 12 rows; the batch holds 4, so that the columns it
    # does not hold, the sampled ones, have non-zero reconstructions.
    X = word_counts(n_rows=12, n_columns=40, n_entries=60, seed=1)
    params = init_layer_params(X, 5, "sigmoid", loss, tied, np.random.RandomState(0))
    X = X[:4]
    exact = AutoencoderLayer(params, "sigmoid", loss, CPU)
    dense = torch.as_tensor(X.toarray())
    exact_loss = reconstruction_loss(exact(dense), dense, loss)
    exact_parameters = [exact.weight, exact.visible_bias]
    exact_parameters += [] if tied else [exact.decoder_weight]
    exact_gradient = _flat(torch.autograd.grad(exact_loss, exact_parameters))

    # SGD: dense gradients, which autograd.grad returns as they are.
    dense_gradients = TrainingOptions(solver="sgd")
    sparse = SparseAutoencoderLayer(params, "sigmoid", loss, CPU, 8, dense_gradients)
    objective = sparse.objective(
        Corruption(None, 0.0), torch.Generator().manual_seed(0)
    )
    sparse_parameters = [sparse.weight_t, sparse.visible_bias]
    sparse_parameters += [] if tied else [sparse.decoder_t]
    batch = sparse_rows(X, np.arange(4), CPU)
    samples = []
    for _ in range(4000):
        gradients = torch.autograd.grad(objective(batch, None, None), sparse_parameters)
        # The sparse layer holds its matrices transposed.
        samples.append(_flat([g.T if g.shape[1] > 1 else g for g in gradients]))
    samples = torch.stack(samples).double()
    mean, error = samples.mean(0), samples.std(0) / np.sqrt(len(samples))
    # Entries whose gradient never varies are exact: they need no margin.
    margin = 5 * error + 1e-6
    assert (mean - exact_gradient.double()).abs().le(margin).all()
    # and the sampled loss is not the exact one every time: it samples.
    assert error.max() > 0


def _flat(tensors):
    return torch.cat([tensor.reshape(-1) for tensor in tensors])


def test_reconstructed_columns_are_the_nonzero_ones_and_a_weighted_sample():
    X = word_counts(n_rows=8, n_columns=200, n_entries=20)
    batch = sparse_rows(X, np.arange(8), CPU)
    columns, weight, n_nonzero = reconstructed_columns(
        batch, 50, torch.Generator().manual_seed(0)
    )
    nonzero = np.unique(X.indices)
    np.testing.assert_array_equal(columns[:n_nonzero].numpy(), nonzero)
    assert not np.isin(columns[n_nonzero:].numpy(), nonzero).any()
    np.testing.assert_array_equal(weight[:n_nonzero].numpy(), 1.0)
    # Each sampled column weighs the inverse of its chance to be drawn.
    inclusion = 1 - (1 - 1 / 200) ** 50
    np.testing.assert_allclose(weight[n_nonzero:].numpy(), 1 / inclusion, rtol=1e-6)


def test_rows_of_zero_weight_lend_no_column():
    X = word_counts(n_rows=8, n_columns=200, n_entries=20)
    batch = sparse_rows(X, np.arange(8), CPU)
    weight = torch.tensor([1.0, 1, 1, 1, 0, 0, 0, 0])
    columns, _, n_nonzero = reconstructed_columns(
        batch.without_rows(weight == 0), 1, torch.Generator().manual_seed(0)
    )
    np.testing.assert_array_equal(columns[:n_nonzero].numpy(), np.unique(X[:4].indices))


# -- the estimators ------------------------------------------------------------


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("tied_weights", [True, False])
def test_sampled_training_learns(loss, tied_weights, quiet):
    X = word_counts()
    params = {"n_components": 16, "loss": loss, "tied_weights": tied_weights}
    untrained = sampled_dae(**params, max_iter=1, learning_rate_init=1e-12).fit(X)
    dae = sampled_dae(**params, max_iter=20).fit(X)
    # The reported score is the exact loss, that of the dense model; training
    # on sampled losses improved it.
    assert dae.score(X) == pytest.approx(dae.score(X.toarray()), rel=1e-5)
    assert dae.score(X) > untrained.score(X)


def test_the_sparse_transform_equals_the_dense_one(quiet):
    X = word_counts()
    dae = sampled_dae().fit(X)
    np.testing.assert_allclose(
        dae.transform(X), dae.transform(X.toarray()), rtol=1e-5, atol=1e-6
    )


def test_zero_weights_remove_rows_in_the_sampled_path(quiet):
    X = word_counts()
    noise = word_counts(n_rows=40, seed=5)
    weights = np.r_[np.ones(120), np.zeros(40)]
    models = [
        sampled_dae(shuffle=False).fit(sp.vstack([X, other]), sample_weight=weights)
        for other in (noise, word_counts(n_rows=40, seed=6))
    ]
    np.testing.assert_array_equal(models[0].components_, models[1].components_)


def test_lazy_adam_matches_torch_sparse_adam():
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(50, 4, generator=generator)
    ours = torch.nn.Parameter(start.clone())
    theirs = torch.nn.Parameter(start.clone())
    optimizers = LazyAdam([ours], lr=0.01), torch.optim.SparseAdam([theirs], lr=0.01)
    for _ in range(5):
        rows = torch.randint(50, (12,), generator=generator)
        values = torch.randn(12, 4, generator=generator)
        for parameter, optimizer in zip((ours, theirs), optimizers, strict=True):
            parameter.grad = torch.sparse_coo_tensor(rows[None], values, (50, 4))
            optimizer.step()
    torch.testing.assert_close(ours, theirs)


def test_lazy_adam_takes_adams_step_for_dense_gradients():
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(7, generator=generator)
    ours = torch.nn.Parameter(start.clone())
    theirs = torch.nn.Parameter(start.clone())
    optimizers = LazyAdam([ours], lr=0.01), torch.optim.Adam([theirs], lr=0.01)
    for _ in range(5):
        gradient = torch.randn(7, generator=generator)
        for parameter, optimizer in zip((ours, theirs), optimizers, strict=True):
            parameter.grad = gradient.clone()
            optimizer.step()
    torch.testing.assert_close(ours, theirs)


def test_lazy_adam_state_round_trips_through_its_state_dict():
    parameter = torch.nn.Parameter(torch.zeros(3, 2))
    optimizer = LazyAdam([parameter], lr=0.01)
    parameter.grad = torch.sparse_coo_tensor([[0, 2]], torch.ones(2, 2), (3, 2))
    optimizer.step()
    copy = LazyAdam([parameter], lr=0.5)
    copy.load_state_dict(optimizer.state_dict())
    assert copy.param_groups[0]["lr"] == 0.01
    saved = copy.state[parameter]
    assert float(saved["step"]) == 1
    torch.testing.assert_close(saved["exp_avg"][1], torch.zeros(2))
    torch.testing.assert_close(saved["exp_avg"][0], torch.full((2,), 0.1))


def test_a_sparse_fit_builds_no_torch_optimizer(quiet):
    # torch's optimizers import torch._dynamo when the first one is built,
    # seconds that a first sparse fit in a process would pay.
    dae = sampled_dae().fit(word_counts())
    assert _solver_settings(dae) == [LAZY_ADAM_SETTINGS]


# What a LazyAdam's state keeps of each parameter group; a torch optimizer
# keeps more (weight_decay, amsgrad, fused...).
LAZY_ADAM_SETTINGS = {"lr", "betas", "eps"}


def _solver_settings(layer):
    groups = layer._optimizer_state["param_groups"]
    return [set(group) - {"params"} for group in groups]


def test_lazy_adam_moves_only_the_rows_a_gradient_holds():
    # Row 0 has a gradient in the first step only. Adam would move it in the
    # second step too, by the momentum of the first; the lazy solver leaves
    # it where the first step put it.
    start = torch.randn(3, 2, generator=torch.Generator().manual_seed(0))
    lazy, dense = (torch.nn.Parameter(start.clone()) for _ in range(2))
    solvers = LazyAdam([lazy], lr=0.1), torch.optim.Adam([dense], lr=0.1)
    after_first = {}
    for rows in ([0, 1], [1]):
        values = torch.ones(len(rows), 2)
        for weights, solver in zip((lazy, dense), solvers, strict=True):
            gradient = torch.sparse_coo_tensor([rows], values, (3, 2))
            weights.grad = gradient if solver is solvers[0] else gradient.to_dense()
            solver.step()
            after_first.setdefault(id(weights), weights.detach().clone())
    torch.testing.assert_close(lazy[0], after_first[id(lazy)][0], rtol=0, atol=0)
    assert not torch.equal(dense[0], after_first[id(dense)][0])
    # Row 2 never had a gradient: neither solver moved it.
    torch.testing.assert_close(lazy[2], start[2], rtol=0, atol=0)
    # Row 1, touched twice, moved the same under both.
    torch.testing.assert_close(lazy[1], dense[1])


def test_partial_fit_and_a_sparse_stack(quiet):
    X = word_counts()
    dae = sampled_dae()
    dae.partial_fit(X).partial_fit(X)
    assert dae.n_iter_ == 2
    stack = small_sdae(reconstruction_sampling=256).fit(X)
    assert stack.transform(X).shape == (X.shape[0], 4)
    assert _solver_settings(stack.layers_[0]) == [LAZY_ADAM_SETTINGS]


def test_weight_decay_takes_the_dense_update(quiet):
    dae = sampled_dae(alpha=1e-3).fit(word_counts())
    # torch's Adam, with weight decay on the weights' group only.
    settings = _solver_settings(dae)
    assert len(settings) == 2 and settings[0] > LAZY_ADAM_SETTINGS
    decays = [group["weight_decay"] for group in dae._optimizer_state["param_groups"]]
    assert decays == [1e-3, 0.0]


def test_explicit_sampling_with_missing_values_is_refused():
    X = word_counts()
    X.data[0] = np.nan
    with pytest.raises(ValueError, match="does not take missing values"):
        sampled_dae().fit(X)
    # "auto" trains on densified batches instead.
    DenoisingAutoencoder(8, max_iter=1, device="cpu").fit(X)
