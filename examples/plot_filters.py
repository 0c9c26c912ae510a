"""
=========================
Learned filters as images
=========================

Each hidden unit of an autoencoder computes ``g(b_j + w_j . x)``: its weight
vector ``w_j``, a row of ``components_``, is a filter with the shape of the
input, and on images it can be shown as an image.

Vincent et al. (2008) showed on 28x28 MNIST digits that the filters of a
plain autoencoder look much like noise, while with masking noise they become
stroke and blob detectors: to fill in destroyed pixels, a unit must capture
how neighbouring pixels vary together. The 8x8 digits bundled with
scikit-learn are far coarser, so the effect is subtler, but the same trend
shows: the more corruption, the smoother and larger the patterns.
"""

# %%
# Three models, differing only in their corruption level
# -------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skdae import DenoisingAutoencoder

X, _ = load_digits(return_X_y=True)
X = X / 16

# The default ``tol=1e-2`` stops training once ten epochs in a row have
# improved the loss by less than 1%: the features are good by then, but the
# filters still carry much of their random start. A tenth of that tolerance
# lets them settle, in about three times as many epochs.
models = {}
for corruption_level in (0.0, 0.25, 0.5):
    models[corruption_level] = DenoisingAutoencoder(
        n_components=49,
        corruption_level=corruption_level,
        tol=1e-3,
        random_state=0,
        device="cpu",
    ).fit(X)

# %%
# How rough are the filters?
# --------------------------
# A number to go with the pictures: the mean absolute difference between
# neighbouring weights of a filter, relative to the mean absolute weight
# (lower is smoother). The outer columns, nearly always empty in the digits,
# are left out.


def roughness(components):
    filters = components.reshape(-1, 8, 8)[:, :, 1:7]
    filters = filters - filters.mean(axis=(1, 2), keepdims=True)
    steps = np.abs(np.diff(filters, axis=1)).mean()
    steps += np.abs(np.diff(filters, axis=2)).mean()
    return steps / np.abs(filters).mean()


for level, model in models.items():
    print(
        f"masking {level:.0%}: {model.n_iter_} epochs, "
        f"roughness {roughness(model.components_):.2f}"
    )

# %%
# The filters
# -----------
# The 49 filters of each model, each on its own scale (dark: positive
# weights, light: negative). Without corruption, many filters are speckled
# with sign changes from one pixel to the next; with masking noise they are
# made of larger blobs and stroke-like bars.
fig = plt.figure(figsize=(12, 4.4))
for subfigure, (level, model) in zip(
    fig.subfigures(1, 3, wspace=0.04), models.items(), strict=True
):
    axes = subfigure.subplots(7, 7)
    for ax, weights in zip(axes.ravel(), model.components_, strict=True):
        limit = np.abs(weights).max()
        ax.imshow(weights.reshape(8, 8), cmap="gray_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
    subfigure.suptitle("no corruption" if level == 0 else f"{level:.0%} masking")
plt.show()
