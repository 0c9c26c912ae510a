"""
==========================
Denoising corrupted digits
==========================

A denoising autoencoder is trained to reconstruct clean inputs from corrupted
ones, so once fitted it can clean up a corrupted image:
``inverse_transform(transform(X_corrupted))`` encodes the corrupted digit and
decodes the code back to the pixel space.

The model is fitted on one half of the digits with its default corruption,
masking noise (a random quarter of the pixels set to 0 at each
presentation), and applied to the other half, corrupted the same way.
"""

# %%
# Fit on clean training digits
# ----------------------------
# The model only ever sees clean data: the corruption is drawn afresh for
# each minibatch during ``fit``.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdae import DenoisingAutoencoder

X, y = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X / 16, test_size=0.5, random_state=0, stratify=y)

dae = DenoisingAutoencoder(random_state=0, device="cpu")
dae.fit(X_train)

# %%
# Corrupt the test digits and reconstruct them
# --------------------------------------------
# We corrupt the test digits with the same process: each pixel is set to 0
# with probability ``corruption_level`` (0.25).
rng = np.random.RandomState(0)
X_corrupted = X_test * (rng.uniform(size=X_test.shape) >= dae.corruption_level)
X_denoised = dae.inverse_transform(dae.transform(X_corrupted))


def mean_squared_error(a, b):
    return np.mean((a - b) ** 2)


print(f"corrupted vs clean: MSE {mean_squared_error(X_corrupted, X_test):.4f}")
print(f"denoised vs clean:  MSE {mean_squared_error(X_denoised, X_test):.4f}")

# %%
# Clean, corrupted and reconstructed
# ----------------------------------
# The reconstruction fills in most of the missing strokes: the model has
# learned how the pixels of a digit depend on each other.
n_shown = 10
rows = {"clean": X_test, "corrupted": X_corrupted, "reconstructed": X_denoised}
fig, axes = plt.subplots(3, n_shown, figsize=(n_shown, 3.4))
for row, (title, images) in zip(axes, rows.items(), strict=True):
    for ax, image in zip(row, images, strict=False):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(title, rotation=0, ha="right", va="center")
fig.suptitle(
    f"Masking noise ({dae.corruption_level:.0%}) removed by a DenoisingAutoencoder"
)
fig.tight_layout()
plt.show()
