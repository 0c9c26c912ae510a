"""
==================================
Training curves and early stopping
==================================

With ``early_stopping=True`` a :class:`~skdae.DenoisingAutoencoder` holds out
``validation_fraction`` of the training data, scores it after every epoch
(the negative mean reconstruction loss of the clean held-out samples), stops
once ``n_iter_no_change`` epochs in a row have not improved the best score by
``tol`` times its magnitude, and keeps the weights of the best epoch.
``loss_curve_`` holds the training loss of each epoch and
``validation_scores_`` the validation scores.

The same curves can be drawn by hand with
:meth:`~skdae.DenoisingAutoencoder.partial_fit`, which trains one epoch per
call and keeps the solver's state, scoring whatever data you like between
calls.
"""

# %%
# Early stopping
# --------------
# A denoising autoencoder at its defaults (1024 units, 25% masking noise), on
# 300 training digits.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdae import DenoisingAutoencoder

X, y = load_digits(return_X_y=True)
X_train, X_test = train_test_split(
    X / 16, train_size=300, test_size=600, random_state=0, stratify=y
)

dae = DenoisingAutoencoder(
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=10,
    random_state=0,
    device="cpu",
)
dae.fit(X_train)
best_epoch = int(np.argmax(dae.validation_scores_)) + 1
print(f"stopped after {dae.n_iter_} epochs; best validation epoch: {best_epoch}")

# %%
# The same model with ``partial_fit``
# -----------------------------------
# Sixty calls, one epoch each; after each we score the clean training digits
# and 600 held-out test digits.
model = DenoisingAutoencoder(random_state=0, device="cpu")
train_loss, test_loss = [], []
for _ in range(60):
    model.partial_fit(X_train)
    train_loss.append(-model.score(X_train))
    test_loss.append(-model.score(X_test))

# %%
# The curves
# ----------
# ``loss_curve_`` is measured on the inputs the model trains on, the
# corrupted ones, so it lies above the loss of clean inputs: the model is
# asked to rebuild a quarter of the pixels that it does not see. The
# validation and test losses flatten out within a dozen epochs or so. Once
# ``n_iter_no_change`` epochs in a row have not improved the best validation
# score by 1% (``tol=1e-2``), early stopping ends training (left, dashed line:
# the epoch whose weights the model keeps) instead of running up to
# ``max_iter=200`` epochs.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
epochs = np.arange(1, dae.n_iter_ + 1)
left.plot(epochs, dae.loss_curve_, label="loss_curve_ (corrupted inputs)")
left.plot(epochs, -np.asarray(dae.validation_scores_), label="validation (clean)")
left.axvline(best_epoch, color="gray", linestyle="--", label="best epoch")
left.set_title("fit(early_stopping=True)")
left.set_xlabel("epoch")
left.set_ylabel("mean reconstruction loss (cross-entropy)")
left.legend()

epochs = np.arange(1, model.n_iter_ + 1)
right.plot(epochs, model.loss_curve_, label="loss_curve_ (corrupted inputs)")
right.plot(epochs, train_loss, label="training digits (clean)")
right.plot(epochs, test_loss, label="test digits (clean)")
right.set_title("partial_fit, one epoch per call")
right.set_xlabel("epoch")
right.legend()
fig.tight_layout()
plt.show()
