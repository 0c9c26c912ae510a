"""
=================================================
Anomaly detection with the reconstruction error
=================================================

:meth:`~skdae.DenoisingAutoencoder.score_samples` returns the negative
reconstruction loss of each clean sample. A model fitted on normal data
reconstructs samples like them well and others badly, so a low score flags an
anomaly, as with the ``score_samples`` of scikit-learn's outlier detectors.

Here the model is fitted on the digits 1 to 9 only. The test set mixes unseen
digits of those classes (normal) with two kinds of anomalies: zeros, a class
never seen in fit (novelties), and digits 1 to 9 blurred by strong gaussian
noise (as from a faulty sensor).
"""

# %%
# Normal training data and a mixed test set
# -----------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skdae import DenoisingAutoencoder

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.5, random_state=0, stratify=y
)
X_train = X_train[y_train != 0]

rng = np.random.RandomState(0)
test_sets = {
    "normal (1-9)": X_test[y_test != 0],
    "unseen class (0)": X_test[y_test == 0],
}
noisy = X_test[y_test != 0][:100] + rng.normal(scale=0.3, size=(100, 64))
test_sets["noisy (1-9)"] = np.clip(noisy, 0, 1)

dae = DenoisingAutoencoder(random_state=0, device="cpu").fit(X_train)

# %%
# Scores
# ------
# The area under the ROC curve measures how well the score ranks anomalies
# below normal samples (1 is a perfect ranking, 0.5 is chance).
scores = {name: dae.score_samples(data) for name, data in test_sets.items()}
normal_scores = scores["normal (1-9)"]
for name in ("unseen class (0)", "noisy (1-9)"):
    is_anomaly = np.r_[np.zeros(len(normal_scores)), np.ones(len(scores[name]))]
    auc = roc_auc_score(is_anomaly, -np.r_[normal_scores, scores[name]])
    print(f"ROC AUC, normal vs {name}: {auc:.3f}")

# %%
# Distribution of the scores and the lowest-scoring images
# --------------------------------------------------------
# Noisy digits are far from anything the model has seen and score lowest.
# Zeros are digits too and share strokes with the others (a 6, a 9, an 8),
# so their scores overlap with the normal ones, yet most of them score below
# the normal digits. The lowest-scoring normal digits are the oddly written
# ones.
fig = plt.figure(figsize=(10, 4.2))
left, right = fig.subfigures(1, 2, width_ratios=[1.3, 1])
ax = left.subplots()
all_scores = np.concatenate(list(scores.values()))
bins = np.linspace(all_scores.min(), all_scores.max(), 40)
for name, score in scores.items():
    ax.hist(score, bins=bins, alpha=0.6, density=True, label=name)
ax.set_xlabel("score_samples (negative reconstruction loss)")
ax.set_ylabel("density")
ax.legend(loc="upper left")

axes = right.subplots(3, 4)
for row, (name, images) in zip(axes, test_sets.items(), strict=True):
    for ax, index in zip(row, np.argsort(scores[name]), strict=False):
        ax.imshow(images[index].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{scores[name][index]:.0f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(name, fontsize=9)
right.suptitle("lowest-scoring test images of each set")
plt.show()
