import numpy as np
import pytest
import torch

from skdae._corruption import (
    Corruption,
    _mask_from_int16,
    _mask_from_uniform,
    check_corruption,
)

from .conftest import requires_cuda


def _batch(value=0.5, shape=(2000, 500)):
    return torch.full(shape, value)


def _generator(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("level", [0.1, 0.25, 0.5])
def test_masking_zeroes_the_requested_fraction(level):
    x = _batch(1.0)
    corrupted = Corruption("masking", level)(x, _generator())
    masked = (corrupted == 0).float().mean().item()
    assert abs(masked - level) <= 0.01 * level
    assert set(torch.unique(corrupted).tolist()) == {0.0, 1.0}


@pytest.mark.parametrize("mask", [_mask_from_int16, _mask_from_uniform])
def test_both_masking_draws_zero_the_requested_fraction(mask):
    # The CPU draws 16-bit integers, accelerators floats: same distribution.
    corrupted = mask(_batch(1.0), 0.3, _generator())
    assert abs((corrupted == 0).float().mean().item() - 0.3) < 0.003
    assert set(torch.unique(corrupted).tolist()) == {0.0, 1.0}


@requires_cuda
def test_masking_on_a_gpu_zeroes_the_requested_fraction():
    x = _batch(1.0).cuda()
    generator = torch.Generator(device="cuda").manual_seed(0)
    corrupted = Corruption("masking", 0.3)(x, generator)
    assert corrupted.device.type == "cuda"
    assert abs((corrupted == 0).float().mean().item() - 0.3) < 0.003


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (1001, 333)])
def test_masking_handles_sizes_that_are_not_multiples_of_four(shape):
    corrupted = Corruption("masking", 0.5)(_batch(1.0, shape), _generator())
    assert corrupted.shape == shape
    if corrupted.numel() > 10_000:
        assert abs((corrupted == 0).float().mean().item() - 0.5) < 0.01


def test_every_position_is_masked_at_the_same_rate():
    # Four inputs share one 64-bit draw: each of the four 16-bit slots, and
    # so every column, must be masked at the requested rate.
    corrupted = Corruption("masking", 0.3)(_batch(1.0, (40_000, 8)), _generator())
    per_column = (corrupted == 0).float().mean(dim=0)
    assert torch.all((per_column - 0.3).abs() < 0.01)


@pytest.mark.parametrize("level", [1e-3, 0.999])
def test_masking_honours_extreme_levels(level):
    corrupted = Corruption("masking", level)(_batch(1.0, (4000, 500)), _generator())
    assert abs((corrupted == 0).float().mean().item() - level) < 1e-4


def test_masking_everything_returns_zeros():
    corrupted = Corruption("masking", 1.0)(_batch(1.0, (30, 7)), _generator())
    assert torch.equal(corrupted, torch.zeros(30, 7))


@pytest.mark.parametrize("level", [0.1, 0.5])
def test_gaussian_noise_has_the_requested_std(level):
    x = _batch(0.3)
    noise = Corruption("gaussian", level)(x, _generator()) - x
    assert abs(noise.std().item() - level) <= 0.01 * level
    assert abs(noise.mean().item()) < 0.01 * level


def test_salt_and_pepper_uses_feature_extremes_half_each():
    low, high = torch.full((500,), -2.0), torch.linspace(1.0, 3.0, 500)
    x = _batch(0.5)
    corrupted = Corruption("salt_and_pepper", 0.3, low, high)(x, _generator())
    pepper = corrupted == low
    salt = corrupted == high
    untouched = corrupted == x
    assert torch.all(pepper | salt | untouched)
    assert abs((pepper | salt).float().mean().item() - 0.3) <= 0.01 * 0.3
    assert abs(salt.float().mean().item() - 0.15) <= 0.01 * 0.15 * 2


def test_salt_and_pepper_requires_extremes():
    with pytest.raises(ValueError, match="extremes"):
        Corruption("salt_and_pepper", 0.1)


@pytest.mark.parametrize("kind", [None, "masking"])
def test_no_corruption_is_identity(kind):
    x = torch.rand(10, 4)
    level = 0.0 if kind else 0.5
    assert Corruption(kind, level)(x, _generator()) is x


@pytest.mark.parametrize("kind", ["masking", "gaussian", "salt_and_pepper"])
def test_clean_batch_is_not_modified_and_noise_is_seeded(kind):
    x = torch.rand(50, 8)
    original = x.clone()
    corruption = Corruption(kind, 0.3, torch.zeros(8), torch.ones(8))
    first = corruption(x, _generator(1))
    second = corruption(x, _generator(1))
    third = corruption(x, _generator(2))
    assert torch.equal(x, original)
    assert torch.equal(first, second)
    assert not torch.equal(first, third)
    assert not np.shares_memory(first.numpy(), x.numpy())


@pytest.mark.parametrize(
    "kind, level, message",
    [
        ("blur", 0.1, r"corruption='blur' is not supported; use one of \['masking'"),
        ("masking", 1.5, r"^corruption_level\[2\]=1\.5 is a probability"),
        ("salt_and_pepper", -0.1, r"between 0 and 1"),
    ],
)
def test_unknown_processes_and_probabilities_outside_0_1_are_refused(
    kind, level, message
):
    with pytest.raises(ValueError, match=message):
        check_corruption(kind, level, name="corruption_level[2]")


@pytest.mark.parametrize("kind, level", [(None, 5.0), ("gaussian", 3.0)])
def test_a_standard_deviation_may_exceed_one(kind, level):
    check_corruption(kind, level)


# -- swap noise ----------------------------------------------------------------


def _distinct_rows(n_rows=64, n_features=300):
    """Row i holds i + column / 1000: every value names its row and column."""
    rows = torch.arange(n_rows, dtype=torch.float32)[:, None]
    return rows + torch.arange(n_features, dtype=torch.float32) / 1000


def _donor_rows(x, corrupted):
    return torch.round(corrupted - (x - torch.round(x))).long()


@pytest.mark.parametrize("level", [0.1, 0.25, 0.5, 1.0])
def test_swap_takes_each_value_from_another_row_of_the_same_column(level):
    x = _distinct_rows()
    corrupted = Corruption("swap", level)(x, _generator())
    # The fractional part names the column: it never changes.
    torch.testing.assert_close(
        corrupted - torch.round(corrupted), x - torch.round(x), rtol=0, atol=1e-4
    )
    swapped = corrupted != x
    assert abs(swapped.float().mean().item() - level) < 0.01
    # Never the row itself, so exactly the requested share changes.
    donors = _donor_rows(x, corrupted)
    own_rows = torch.arange(x.shape[0])[:, None].expand_as(donors)
    assert (donors[swapped] != own_rows[swapped]).all()


def test_swap_donors_are_uniform_over_the_other_rows():
    # Every value of row i is i: a swapped value names its donor row.
    x = torch.arange(8, dtype=torch.float32)[:, None].repeat(1, 20_000)
    corrupted = Corruption("swap", 0.5)(x, _generator())
    donors = corrupted[0][corrupted[0] != x[0]].long()
    counts = torch.bincount(donors, minlength=8).float()
    assert counts[0] == 0
    expected = donors.numel() / 7
    # Seven counts of about 1,430: a binomial standard deviation near 35.
    assert (counts[1:] - expected).abs().max() < 5 * np.sqrt(expected)


def test_swap_never_takes_values_from_rows_of_zero_weight():
    x = _distinct_rows()
    weight = torch.ones(64)
    weight[::3] = 0
    corrupted = Corruption("swap", 1.0)(x, _generator(), weight)
    donors = _donor_rows(x, corrupted)[weight > 0]
    assert (weight[donors] > 0).all()
    assert len(torch.unique(donors)) == int((weight > 0).sum())


def test_swap_with_a_single_eligible_row_changes_nothing_it_learns_from():
    x = _distinct_rows(n_rows=4)
    weight = torch.tensor([0.0, 1.0, 0.0, 0.0])
    corrupted = Corruption("swap", 1.0)(x, _generator(), weight)
    torch.testing.assert_close(corrupted[1], x[1])


def test_swap_is_deterministic_under_a_seed():
    x = _distinct_rows()
    first, second, other = (
        Corruption("swap", 0.3)(x, _generator(seed)) for seed in (0, 0, 1)
    )
    torch.testing.assert_close(first, second)
    assert not torch.equal(first, other)


def test_swap_carries_missing_values_along():
    x = _distinct_rows(n_rows=16, n_features=50)
    x[0] = float("nan")
    corrupted = Corruption("swap", 0.5)(x, _generator())
    # Row 0 lends NaN to the others, and is left NaN where it keeps its own.
    assert torch.isnan(corrupted[1:]).any()
    assert torch.isnan(corrupted[0]).sum() < 50


def test_swap_level_must_be_a_probability():
    with pytest.raises(ValueError, match="probability for corruption='swap'"):
        check_corruption("swap", 1.5)


def test_an_unknown_process_that_skipped_its_check_still_refuses_to_run():
    # A Corruption built without check_corruption must not fall back on
    # another process: salt and pepper used to catch every unknown kind.
    x = torch.rand(4, 3)
    low, high = torch.zeros(3), torch.ones(3)
    with pytest.raises(ValueError, match="corruption='blur' is not supported"):
        Corruption("blur", 0.5, low, high)(x, torch.Generator())
