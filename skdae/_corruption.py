"""The corruption processes q_D of a denoising autoencoder.

Each process takes a clean batch on the training device and returns a new,
corrupted tensor; the clean batch is left untouched because it is also the
reconstruction target. Noise is drawn on the batch's device from the given
generator, so no host round trip and no global random state is involved.
"""

import math

import torch

CORRUPTIONS = ("masking", "gaussian", "salt_and_pepper", "swap")
# The processes that keep a zero a zero, hence a sparse batch sparse.
ZERO_KEEPING_CORRUPTIONS = ("masking", "salt_and_pepper", None)


def check_corruption(kind, level, name="corruption_level"):
    """Refuse an unknown process, and a probability outside [0, 1].

    scikit-learn's parameter validation refuses unknown kinds too, but a
    ``partial_fit`` on a fitted estimator skips it, so after
    ``set_params(corruption="foo")`` this check is the one that refuses the
    unknown kind before training starts. A standard deviation (gaussian)
    just needs to be >= 0, which the parameter constraints ensure.
    """
    if kind not in CORRUPTIONS and kind is not None:
        raise _unknown(kind)
    if kind in ("masking", "salt_and_pepper", "swap") and not 0 <= level <= 1:
        raise ValueError(
            f"{name}={level} is a probability for corruption={kind!r} "
            "and must be between 0 and 1."
        )


class Corruption:
    """A corruption process with its parameters, applied batch by batch.

    Parameters
    ----------
    kind : {"masking", "gaussian", "salt_and_pepper", "swap"} or None
        ``"masking"`` sets each input to 0 with probability ``level``;
        ``"gaussian"`` adds ``N(0, level**2)`` noise; ``"salt_and_pepper"``
        sets each input, with probability ``level``, to its feature's minimum
        or maximum (each half the time); ``"swap"`` gives each input, with
        probability ``level``, the value of the same feature in another row
        of the batch (one of positive weight); ``None`` leaves the input as
        it is.
    level : float
        Probability (masking, salt and pepper, swap) or standard deviation
        (gaussian).
    feature_min, feature_max : torch.Tensor of shape (n_features,), optional
        Per-feature extremes seen in fit; required for salt and pepper.
    """

    def __init__(self, kind, level, feature_min=None, feature_max=None):
        if kind == "salt_and_pepper" and (feature_min is None or feature_max is None):
            raise ValueError("salt_and_pepper corruption needs the feature extremes.")
        self.kind = kind
        self.level = float(level)
        self.feature_min = feature_min
        self.feature_max = feature_max

    @property
    def is_identity(self):
        """Whether this process leaves every input unchanged."""
        return self.kind is None or self.level == 0.0

    def __call__(self, x, generator, weight=None):
        """Return a corrupted copy of the dense batch ``x``.

        ``weight``, the rows' sample weights, keeps rows of weight zero from
        lending their values to swap noise.
        """
        if self.is_identity:
            return x
        if self.kind == "masking":
            return _mask(x, self.level, generator)
        if self.kind == "gaussian":
            return _add_gaussian(x, self.level, generator)
        if self.kind == "swap":
            return _swap(x, self.level, weight, generator)
        if self.kind == "salt_and_pepper":
            return _salt_and_pepper(
                x, self.level, self.feature_min, self.feature_max, generator
            )
        raise _unknown(self.kind)

    def of_entries(self, values, columns, generator):
        """The stored entries of sparse rows, corrupted: their zeros stay
        zeros.

        Masking sets a stored value to 0, salt and pepper to its feature's
        minimum or maximum, each with probability ``level``: the processes
        of the dense path, restricted to where a zero would stay a zero
        anyway. Gaussian and swap noise would fill the zeros in: the sparse
        path refuses them (``_sparse.resolve_sampling``).

        Parameters
        ----------
        values : torch.Tensor of shape (n_entries,)
        columns : torch.Tensor of shape (n_entries,), int64
            The column of each entry.
        generator : torch.Generator

        Returns
        -------
        values : torch.Tensor of shape (n_entries,)
        """
        if self.is_identity:
            return values
        if self.kind == "masking":
            return _mask_from_uniform(values, self.level, generator)
        if self.kind == "salt_and_pepper":
            return _salt_and_pepper(
                values,
                self.level,
                self.feature_min[columns],
                self.feature_max[columns],
                generator,
            )
        if self.kind in CORRUPTIONS:
            raise ValueError(
                f"corruption={self.kind!r} does not apply to the stored entries "
                "of sparse rows; use masking or salt_and_pepper."
            )
        raise _unknown(self.kind)


def _unknown(kind):
    return ValueError(
        f"corruption={kind!r} is not supported; use one of {[*CORRUPTIONS, None]}."
    )


def _uniform(x, generator):
    return torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def _mask(x, level, generator):
    # A CPU's generator draws one number after another, which made a float
    # per input a tenth of a training step: there, 16-bit integers drawn four
    # to a 64-bit number are 3x cheaper. Accelerators draw floats in parallel
    # at no real cost, and every backend supports them.
    if x.device.type == "cpu":
        return _mask_from_int16(x, level, generator)
    return _mask_from_uniform(x, level, generator)


def _mask_from_uniform(x, level, generator):
    """Masking decided by one uniform float per input."""
    return _uniform(x, generator).ge_(level).mul_(x)


def _mask_from_int16(x, level, generator):
    """Masking decided by uniform int16 values: the level is applied to
    within 2**-16."""
    n_masked = round(level * _MASK_RESOLUTION)
    if n_masked >= _MASK_RESOLUTION:
        return torch.zeros_like(x)
    bits = _random_int16(x.shape, generator, x.device)
    # Comparing straight into a float buffer, then multiplying in place, is
    # 4x faster than multiplying by a boolean mask (which is cast first).
    keep = torch.ge(bits, _INT16_MIN + n_masked, out=torch.empty_like(x))
    return keep.mul_(x)


_MASK_RESOLUTION = 2**16
_INT16_MIN = -(2**15)


def _random_int16(shape, generator, device):
    """Independent uniform int16 values, drawn four to a 64-bit integer."""
    size = math.prod(shape)
    bits = torch.empty(-(-size // 4), dtype=torch.int64, device=device)
    # from=int64 min with to=None is torch's full 64-bit range, without bias.
    bits.random_(-(2**63), None, generator=generator)
    return bits.view(torch.int16)[:size].view(shape)


def _add_gaussian(x, level, generator):
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return x + level * noise


def _salt_and_pepper(x, level, feature_min, feature_max, generator):
    # One uniform draw decides both whether and how an input is corrupted:
    # u < level/2 -> minimum (pepper), level/2 <= u < level -> maximum (salt).
    u = _uniform(x, generator)
    corrupted = torch.where(u < level / 2, feature_min, feature_max)
    return torch.where(u < level, corrupted, x)


def _swap(x, level, weight, generator):
    """Swap noise: with probability ``level``, an entry takes the value that
    its column has in another row of the batch, drawn uniformly among the rows
    of positive weight.

    One uniform draw per entry decides both whether it is swapped
    (``u < level``) and, given that it is, from which row: ``u / level`` is
    then uniform in [0, 1) and picks one of the ``m - 1`` other eligible rows.
    Every step runs on the batch's device without a host synchronisation.
    """
    u = _uniform(x, generator)
    eligible = (
        torch.ones(x.shape[0], dtype=torch.bool, device=x.device)
        if weight is None
        else weight > 0
    )
    # The eligible rows first, in order; each row's rank among them (a row of
    # weight zero, whose loss counts for nothing, gets its predecessor's).
    order = torch.argsort((~eligible).to(torch.int8), stable=True)
    n_eligible = eligible.sum().clamp(min=1)
    rank = torch.cumsum(eligible, 0) - 1
    offset = (u * ((n_eligible - 1) / level)).long() + 1
    offset = torch.minimum(offset, (n_eligible - 1).clamp(min=1))
    donors = order[torch.remainder(rank.unsqueeze(1) + offset, n_eligible)]
    return torch.where(u < level, torch.gather(x, 0, donors), x)
