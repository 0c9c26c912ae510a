"""The hand-written gradient of one layer's loss equals autograd's."""

import numpy as np
import pytest
import torch

from skdae._layer_loss import layer_training_loss
from skdae._modules import AutoencoderLayer, init_layer_params, reconstruction_loss


def _layer(activation, loss, tied, dtype=np.float64):
    X = np.random.RandomState(2).uniform(size=(20, 7)).astype(np.float32)
    params = init_layer_params(X, 5, activation, loss, tied, np.random.RandomState(0))
    rng = np.random.RandomState(1)
    # Random biases and decoder (which starts at zero), so that every
    # gradient and its effect are tested.
    params["intercept_hidden_"] = rng.normal(size=5).astype(np.float32)
    params["intercept_visible_"] = rng.normal(size=7).astype(np.float32)
    if not tied:
        params["decoder_components_"] = rng.normal(size=(5, 7)).astype(np.float32)
    return AutoencoderLayer(params, activation, loss, torch.device("cpu"), dtype)


def _batch(dtype=torch.float64):
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(6, 7, generator=generator, dtype=dtype)
    keep = torch.rand(6, 7, generator=generator, dtype=dtype) > 0.3
    return x * keep, x


def _gradients(layer, loss):
    layer.zero_grad(set_to_none=True)
    # Scaled like the training loop's mean, so grad_output is not 1.
    (loss / 6).backward()
    return {name: p.grad.clone() for name, p in layer.named_parameters()}


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_and_gradients_equal_autograd(activation, loss, tied, weighted):
    layer = _layer(activation, loss, tied)
    x_corrupted, x = _batch()
    weight = torch.tensor([0.0, 1.0, 2.5, 0.5, 1.0, 1.0], dtype=torch.float64)
    weight = weight if weighted else None

    expected = reconstruction_loss(layer(x_corrupted), x, loss, weight)
    expected_gradients = _gradients(layer, expected)
    value = layer_training_loss(layer, x_corrupted, x, weight)
    gradients = _gradients(layer, value)

    torch.testing.assert_close(value, expected, rtol=1e-12, atol=1e-12)
    assert gradients.keys() == expected_gradients.keys()
    for name, gradient in gradients.items():
        torch.testing.assert_close(
            gradient, expected_gradients[name], rtol=1e-10, atol=1e-12, msg=name
        )


def test_float32_gradients_match_autograd_to_float32_precision():
    layer = _layer("sigmoid", "cross_entropy", True, np.float32)
    x_corrupted, x = _batch(torch.float32)
    expected = _gradients(
        layer, reconstruction_loss(layer(x_corrupted), x, "cross_entropy")
    )
    gradients = _gradients(layer, layer_training_loss(layer, x_corrupted, x))
    for name, gradient in gradients.items():
        torch.testing.assert_close(gradient, expected[name], rtol=1e-4, atol=1e-6)


def test_inputs_are_left_untouched():
    layer = _layer("relu", "mse", True)
    x_corrupted, x = _batch()
    originals = x_corrupted.clone(), x.clone()
    _gradients(layer, layer_training_loss(layer, x_corrupted, x))
    assert torch.equal(x_corrupted, originals[0])
    assert torch.equal(x, originals[1])


def test_no_graph_is_built_without_grad():
    layer = _layer("sigmoid", "cross_entropy", True)
    x_corrupted, x = _batch()
    with torch.no_grad():
        value = layer_training_loss(layer, x_corrupted, x)
    assert not value.requires_grad
    torch.testing.assert_close(
        value, reconstruction_loss(layer(x_corrupted), x, "cross_entropy")
    )


def test_cross_entropy_stays_exact_when_reconstruction_is_confident():
    # Binary targets predicted with logits of +-20: each term is about 2e-9,
    # far below float32's resolution near 1, yet the sum must stay accurate.
    layer = _layer("sigmoid", "cross_entropy", True, np.float32)
    x = (torch.rand(64, 7, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    with torch.no_grad():
        layer.weight.zero_()
        layer.hidden_bias.zero_()
    logits = (2 * x - 1) * 20
    # A zero weight makes every logit the visible bias: one row of targets.
    with torch.no_grad():
        layer.visible_bias.copy_(logits[0])
    value = layer_training_loss(layer, x[:1], x[:1])
    exact = torch.nn.functional.binary_cross_entropy_with_logits(
        logits[0].double(), x[0].double(), reduction="sum"
    )
    torch.testing.assert_close(value.double(), exact, rtol=1e-5, atol=0)
