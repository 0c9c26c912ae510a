"""What a user would write or pick instead of skdae, for the speed runs.

Every baseline trains the same model as ``DenoisingAutoencoder(n_components,
loss="cross_entropy", corruption="masking")``: a tied sigmoid layer, masking
noise, cross-entropy from the logits, Adam at 1e-3, the same batch size.
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def _initial_weight(n_features, n_components, generator, device):
    bound = 4 * np.sqrt(6 / (n_features + n_components))
    weight = torch.rand(n_components, n_features, generator=generator, device=device)
    return (2 * bound) * weight - bound


def _batch_loss(x, keep, weight, hidden_bias, visible_bias):
    h = torch.sigmoid(F.linear(x * keep, weight, hidden_bias))
    logits = torch.addmm(visible_bias, h, weight)
    loss = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    return loss / x.shape[0]


def hand_written_fit(
    X, n_components, batch_size, epochs, level=0.25, device="cpu", compile=False
):
    """A minimal hand-written torch loop of the tied denoising autoencoder.

    The loop a torch user writes: X on the device once, a permutation per
    epoch, masking noise with ``rand``, ``binary_cross_entropy_with_logits``
    and a plain ``torch.optim.Adam``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32
    n_components, batch_size, epochs : int
    level : float
        Masking probability.
    device : str
    compile : bool
        Run the batch loss (forward and backward) through ``torch.compile``.

    Returns
    -------
    weight : torch.Tensor of shape (n_components, n_features)
    """
    batch_loss = torch.compile(_batch_loss) if compile else _batch_loss
    device = torch.device(device)
    generator = torch.Generator(device=device).manual_seed(0)
    X = torch.from_numpy(X).to(device)
    n_samples, n_features = X.shape
    weight = nn.Parameter(_initial_weight(n_features, n_components, generator, device))
    hidden_bias = nn.Parameter(torch.zeros(n_components, device=device))
    visible_bias = nn.Parameter(torch.zeros(n_features, device=device))
    optimizer = torch.optim.Adam([weight, hidden_bias, visible_bias], lr=1e-3)
    for _ in range(epochs):
        order = torch.randperm(n_samples, generator=generator, device=device)
        for start in range(0, n_samples, batch_size):
            x = X[order[start : start + batch_size]]
            keep = torch.rand(x.shape, generator=generator, device=device) >= level
            loss = batch_loss(x, keep, weight, hidden_bias, visible_bias)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return weight.detach().cpu()


def matrix_products_only(X, n_components, batch_size, epochs, device="cpu"):
    """Only the five matrix products of each training step, nothing else.

    Forward ``x W^T`` and ``h W``; backward ``dz^T h``, ``dz W^T`` and
    ``da^T x``: the floor under any implementation of the tied layer.
    """
    device = torch.device(device)
    X = torch.from_numpy(X).to(device)
    n_samples, n_features = X.shape
    weight = torch.rand(n_components, n_features, device=device)
    grad = torch.empty_like(weight)
    for _ in range(epochs):
        for start in range(0, n_samples, batch_size):
            x = X[start : start + batch_size]
            h = x @ weight.T
            z = h @ weight
            torch.mm(h.T, z, out=grad)
            da = z @ weight.T
            grad.addmm_(da.T, x)
    return grad.cpu()


class TiedDenoisingModule(nn.Module):
    """The tied denoising layer as an ``nn.Module``, for skorch.

    Masking noise is applied in ``forward`` while training, as a skorch user
    would do it; the module returns reconstruction logits.
    """

    def __init__(self, n_features=784, n_components=256, level=0.25):
        super().__init__()
        self.level = level
        generator = torch.Generator().manual_seed(0)
        self.weight = nn.Parameter(
            _initial_weight(n_features, n_components, generator, "cpu")
        )
        self.hidden_bias = nn.Parameter(torch.zeros(n_components))
        self.visible_bias = nn.Parameter(torch.zeros(n_features))

    def forward(self, x):
        if self.training:
            x = x * (torch.rand_like(x) >= self.level)
        h = torch.sigmoid(F.linear(x, self.weight, self.hidden_bias))
        return torch.addmm(self.visible_bias, h, self.weight)


class SummedCrossEntropy(nn.Module):
    """Cross-entropy from logits, summed over features, averaged over samples."""

    def forward(self, logits, target):
        loss = F.binary_cross_entropy_with_logits(logits, target, reduction="sum")
        return loss / target.shape[0]


def skorch_regressor(n_features, n_components, batch_size, epochs, device="cpu"):
    """skorch's NeuralNetRegressor around :class:`TiedDenoisingModule`."""
    from skorch import NeuralNetRegressor

    return NeuralNetRegressor(
        TiedDenoisingModule,
        module__n_features=n_features,
        module__n_components=n_components,
        criterion=SummedCrossEntropy,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        device=device,
        verbose=0,
    )


def raw_transform(X, weight, hidden_bias, device="cpu"):
    """The raw torch expression of ``transform``: ``sigmoid(X W^T + b)``."""
    device = torch.device(device)
    with torch.inference_mode():
        x = torch.from_numpy(X).to(device)
        codes = torch.sigmoid(F.linear(x, weight.to(device), hidden_bias.to(device)))
        return codes.cpu().numpy()
