import numpy as np
import pytest
import torch

from skdae._modules import (
    AutoencoderLayer,
    cross_entropy_from_logits,
    init_layer_params,
    reconstruction_loss,
)


def _data(n_samples=40, n_features=6, seed=0):
    return (
        np.random.RandomState(seed)
        .uniform(size=(n_samples, n_features))
        .astype(np.float32)
    )


def _layer(tied=True, activation="sigmoid", loss="mse"):
    params = init_layer_params(
        _data(), 4, activation, loss, tied, np.random.RandomState(0)
    )
    return AutoencoderLayer(params, activation, loss, torch.device("cpu"))


def test_init_shapes_and_ranges():
    X = _data(n_features=30)
    params = init_layer_params(X, 10, "sigmoid", "mse", False, np.random.RandomState(0))
    bound = np.sqrt(6 / 40)
    assert params["components_"].shape == (10, 30)
    assert not params["decoder_components_"].any()
    assert np.abs(params["components_"]).max() <= bound
    assert np.abs(params["components_"]).max() > 0.9 * bound
    # Each unit's input is centred on the data's mean.
    np.testing.assert_allclose(
        params["intercept_hidden_"], -params["components_"] @ X.mean(axis=0), atol=1e-5
    )
    # An untied decoder starts at zero, its biases at the mean.
    np.testing.assert_allclose(params["intercept_visible_"], X.mean(axis=0), rtol=1e-5)
    assert all(value.dtype == np.float32 for value in params.values())


def test_tied_layer_uses_one_matrix_in_both_directions():
    layer = _layer(tied=True)
    assert layer.decoder_weight is None
    assert [name for name, _ in layer.named_parameters()] == [
        "weight",
        "hidden_bias",
        "visible_bias",
    ]
    h = torch.rand(5, 4)
    with torch.no_grad():
        layer.weight.mul_(2.0)
        expected = h @ layer.weight + layer.visible_bias
    assert torch.allclose(layer.decode_logits(h), expected)
    x = torch.rand(5, 6)
    layer(x).sum().backward()
    # Both the encoder and the decoder path contribute to the one gradient:
    # it is the sum of the two, each computed with the other path frozen.
    decoder_only = torch.autograd.grad(
        layer.decode_logits(layer.encode(x).detach()).sum(), layer.weight
    )[0]
    frozen_decoder = layer.weight.detach()
    encoder_only = torch.autograd.grad(
        (layer.encode(x) @ frozen_decoder + layer.visible_bias).sum(), layer.weight
    )[0]
    assert not torch.allclose(layer.weight.grad, decoder_only)
    assert not torch.allclose(layer.weight.grad, encoder_only)
    torch.testing.assert_close(layer.weight.grad, decoder_only + encoder_only)


def test_untied_layer_has_its_own_decoder():
    layer = _layer(tied=False)
    h = torch.rand(3, 4)
    expected = h @ layer.decoder_weight + layer.visible_bias
    assert torch.allclose(layer.decode_logits(h), expected)
    assert set(layer.to_params()) == {
        "components_",
        "intercept_hidden_",
        "intercept_visible_",
        "decoder_components_",
    }


@pytest.mark.parametrize(
    "activation, expected",
    [
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        ("tanh", np.tanh),
        ("relu", lambda z: np.maximum(z, 0)),
        ("identity", lambda z: z),
    ],
)
def test_encode_applies_activation(activation, expected):
    layer = _layer(activation=activation)
    x = torch.randn(4, 6)
    z = x.numpy() @ layer.weight.detach().numpy().T + layer.hidden_bias.detach().numpy()
    np.testing.assert_allclose(
        layer.encode(x).detach().numpy(), expected(z), rtol=1e-5, atol=1e-6
    )


def test_cross_entropy_matches_the_formula_and_is_stable():
    logits = torch.tensor([[0.0, 2.0, -3.0], [8.0, -8.0, 1.0]])
    x = torch.tensor([[0.0, 1.0, 0.5], [1.0, 0.0, 0.2]])
    p = torch.sigmoid(logits.double())
    formula = -(x * torch.log(p) + (1 - x) * torch.log1p(-p)).sum(dim=1)
    per_sample = reconstruction_loss(logits, x, "cross_entropy", reduction="none")
    assert torch.allclose(per_sample.double(), formula, atol=1e-5)
    extreme = reconstruction_loss(
        torch.tensor([[200.0]]), torch.tensor([[0.0]]), "cross_entropy"
    )
    assert torch.isfinite(extreme) and abs(extreme.item() - 200.0) < 1e-3


def test_cross_entropy_gradient_is_sigmoid_minus_target_everywhere():
    # z = 0 included, where relu's and abs's subgradients would mislead.
    logits = torch.tensor(
        [[0.0, 1e-8, -1e-8, 3.0, -3.0, 40.0, -40.0]], dtype=torch.float64
    ).repeat(3, 1)
    logits.requires_grad_(True)
    x = torch.tensor([[0.0], [0.3], [1.0]], dtype=torch.float64).expand_as(logits)
    reconstruction_loss(logits, x, "cross_entropy").backward()
    expected = torch.sigmoid(logits.detach()) - x
    torch.testing.assert_close(logits.grad, expected, rtol=1e-12, atol=1e-15)


def test_cross_entropy_stays_exact_when_reconstruction_is_confident():
    # -log(sigmoid(30)) is about 9.4e-14: float32 keeps it to 6 digits,
    # where 1 - sigmoid(30) would round to 0.
    value = reconstruction_loss(
        torch.tensor([[30.0]]), torch.tensor([[1.0]]), "cross_entropy"
    )
    assert value.item() == pytest.approx(np.log1p(np.exp(-30.0)), rel=1e-5)


def test_cross_entropy_and_its_gradient_hold_no_subnormal_value():
    # Pixels that are always 0 drive their logits far below -87, where
    # exp(-|z|) and sigmoid(z) are subnormal in float32: products with them
    # run many times slower on many CPUs.
    logits = torch.linspace(-300.0, 300.0, 6001).repeat(3, 1).requires_grad_(True)
    x = torch.tensor([[0.0], [0.4], [1.0]]).expand_as(logits)
    value = reconstruction_loss(logits, x, "cross_entropy", reduction="none")
    elementwise = cross_entropy_from_logits(logits, x)
    elementwise.sum().backward()
    tiny = torch.finfo(torch.float32).tiny
    for tensor in (elementwise.detach(), logits.grad, value.detach()):
        assert not ((tensor != 0) & (tensor.abs() < tiny)).any()
    # Beyond the cut the gradient is sigmoid(z) - x to within 1e-14, the
    # loss relu(z) - x z to float32's rounding.
    far = logits.detach().abs() > 40
    expected_gradient = (torch.sigmoid(logits) - x).detach()
    torch.testing.assert_close(
        logits.grad[far], expected_gradient[far], atol=1e-14, rtol=0
    )
    exact = (torch.relu(logits) - x * logits).detach()
    torch.testing.assert_close(elementwise.detach()[far], exact[far])


def test_mse_is_half_the_squared_error_and_weights_apply():
    logits = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    per_sample = reconstruction_loss(logits, x, "mse", reduction="none")
    assert per_sample.tolist() == [2.5, 1.0]
    weighted = reconstruction_loss(logits, x, "mse", torch.tensor([2.0, 0.0]))
    assert weighted.item() == 5.0
