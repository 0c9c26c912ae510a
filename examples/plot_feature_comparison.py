"""
=============================================================
Features compared: DAE, SDAE, BernoulliRBM and PCA
=============================================================

How good are learned features for classification, and how does that depend
on the corruption level? Each feature extractor is followed by a
standardization and a logistic regression, fitted on half of the digits and
scored on the other half:

- :class:`~skdae.DenoisingAutoencoder` and
  :class:`~skdae.StackedDenoisingAutoencoder` at their defaults (1024 units;
  layers of 1024 and 256 units), with masking noise. Inside the classifier's
  pipeline the stack receives the labels, so its default
  ``fine_tuning="auto"`` fine-tunes it on them;
- :class:`~sklearn.neural_network.BernoulliRBM` with 256 units and
  :class:`~sklearn.decomposition.PCA` with 32 components;
- raw pixels, for reference.

Two corruption levels matter: the one the autoencoders are trained with (left
figure), and the one of the data they are applied to (right figure).
"""

# %%
# The contenders
# --------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdae import DenoisingAutoencoder, StackedDenoisingAutoencoder

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.5, random_state=0, stratify=y
)


def classifier(features):
    """features -> standardization -> logistic regression, fitted."""
    model = make_pipeline(features, StandardScaler(), LogisticRegression(max_iter=500))
    return model.fit(X_train, y_train)


def dae(level):
    return DenoisingAutoencoder(corruption_level=level, random_state=0, device="cpu")


def sdae(level):
    return StackedDenoisingAutoencoder(
        corruption_level=level, random_state=0, device="cpu"
    )


# %%
# Accuracy against the training corruption level
# ------------------------------------------------
# Level 0 is a plain autoencoder, 0.25 the default. The extractors without a
# corruption level are horizontal lines.
levels = [0.0, 0.25, 0.5]
trained = {"DenoisingAutoencoder": {}, "StackedDenoisingAutoencoder": {}}
for level in levels:
    trained["DenoisingAutoencoder"][level] = classifier(dae(level))
    trained["StackedDenoisingAutoencoder"][level] = classifier(sdae(level))

references = {
    "BernoulliRBM": classifier(
        BernoulliRBM(256, learning_rate=0.06, n_iter=20, random_state=0)
    ),
    "PCA": classifier(PCA(32, random_state=0)),
    "raw pixels": classifier("passthrough"),
}

for name, models in trained.items():
    accuracies = ", ".join(
        f"{level:.2f}: {model.score(X_test, y_test):.3f}"
        for level, model in models.items()
    )
    print(f"{name:<28} {accuracies}")
for name, model in references.items():
    print(f"{name:<28} {model.score(X_test, y_test):.3f}")

# %%
# Accuracy against the corruption of the test digits
# ---------------------------------------------------
# The same classifiers, trained on clean digits, scored on test digits with
# a growing share of their pixels set to 0. The autoencoders are the ones
# trained with 25% masking noise.
test_levels = np.linspace(0, 0.5, 6)
rng = np.random.RandomState(0)
masks = [rng.uniform(size=X_test.shape) >= level for level in test_levels]
robust = {
    "DenoisingAutoencoder": trained["DenoisingAutoencoder"][0.25],
    "StackedDenoisingAutoencoder": trained["StackedDenoisingAutoencoder"][0.25],
    **references,
}
robustness = {
    name: [model.score(X_test * mask, y_test) for mask in masks]
    for name, model in robust.items()
}

# %%
# The figure
# ----------
# On these small 8x8 digits the training corruption level moves the accuracy
# little: on clean test digits, the autoencoders' features beat raw pixels,
# PCA's and the RBM's at every level. When the test digits are corrupted, the
# stacked autoencoder's features hold up best, then the single layer's; the
# others fall off faster.
styles = {
    "DenoisingAutoencoder": dict(marker="o"),
    "StackedDenoisingAutoencoder": dict(marker="s"),
    "BernoulliRBM": dict(color="gray", linestyle="--"),
    "PCA": dict(color="gray", linestyle="-."),
    "raw pixels": dict(color="gray", linestyle=":"),
}
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
for name, models in trained.items():
    accuracies = [model.score(X_test, y_test) for model in models.values()]
    left.plot(levels, accuracies, label=name, **styles[name])
for name, model in references.items():
    left.axhline(model.score(X_test, y_test), label=name, **styles[name])
left.set_xlabel("masking level in training (autoencoders only)")
left.set_ylabel("test accuracy")
left.set_title("clean test digits")
left.legend(loc="lower right", fontsize=9)

for name, accuracies in robustness.items():
    style = {"marker": ".", **styles[name]}
    right.plot(test_levels, accuracies, label=name, **style)
right.set_xlabel("share of test pixels set to 0")
right.set_title("corrupted test digits")
right.legend(loc="lower left", fontsize=9)
fig.suptitle("Logistic regression on learned features, digits")
fig.tight_layout()
plt.show()
