"""The corruption processes q_D of a denoising autoencoder.

Each process takes a clean batch on the training device and returns a new,
corrupted tensor; the clean batch is left untouched because it is also the
reconstruction target. Noise is drawn on the batch's device from the given
generator, so no host round trip and no global random state is involved.
"""

import torch

CORRUPTIONS = ("masking", "gaussian", "salt_and_pepper")


class Corruption:
    """A corruption process with its parameters, applied batch by batch.

    Parameters
    ----------
    kind : {"masking", "gaussian", "salt_and_pepper"} or None
        ``"masking"`` sets each input to 0 with probability ``level``;
        ``"gaussian"`` adds ``N(0, level**2)`` noise; ``"salt_and_pepper"``
        sets each input, with probability ``level``, to its feature's minimum
        or maximum (each half the time); ``None`` leaves the input as it is.
    level : float
        Probability (masking, salt and pepper) or standard deviation
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

    def __call__(self, x, generator):
        """Return a corrupted copy of the batch ``x``."""
        if self.is_identity:
            return x
        if self.kind == "masking":
            return _mask(x, self.level, generator)
        if self.kind == "gaussian":
            return _add_gaussian(x, self.level, generator)
        return _salt_and_pepper(
            x, self.level, self.feature_min, self.feature_max, generator
        )


def _uniform(x, generator):
    return torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def _mask(x, level, generator):
    # The uniform draw becomes the 0/1 mask and then the result in place:
    # one buffer and three passes instead of a boolean mask, its float copy
    # and a product.
    return _uniform(x, generator).ge_(level).mul_(x)


def _add_gaussian(x, level, generator):
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return x + level * noise


def _salt_and_pepper(x, level, feature_min, feature_max, generator):
    # One uniform draw decides both whether and how an input is corrupted:
    # u < level/2 -> minimum (pepper), level/2 <= u < level -> maximum (salt).
    u = _uniform(x, generator)
    corrupted = torch.where(u < level / 2, feature_min, feature_max)
    return torch.where(u < level, corrupted, x)
