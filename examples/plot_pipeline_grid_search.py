"""
=========================================
Tuning a denoising autoencoder in a grid
=========================================

A :class:`~skdae.DenoisingAutoencoder` is a scikit-learn transformer, so it
goes into a :class:`~sklearn.pipeline.Pipeline` in front of a classifier and
its parameters are tuned like any other's, with
:class:`~sklearn.model_selection.GridSearchCV` and the ``step__parameter``
syntax.

Here the grid crosses the size of the code with the corruption level, and the
score is the cross-validated accuracy of a logistic regression on the codes.
"""

# %%
# The data and the pipeline
# -------------------------
# The digits are scaled to [0, 1], so the default ``loss="auto"`` trains with
# the cross-entropy. Each fit stops on its own once its loss has stopped
# improving, after a few dozen epochs at most on these small images.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline

from skdae import DenoisingAutoencoder

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.5, random_state=0, stratify=y
)

pipeline = Pipeline(
    [
        ("dae", DenoisingAutoencoder(random_state=0, device="cpu")),
        ("clf", LogisticRegression(max_iter=1000)),
    ]
)

# %%
# The search
# ----------
# Six settings, three folds each: eighteen fits of the whole pipeline.
param_grid = {
    "dae__n_components": [64, 256],
    "dae__corruption_level": [0.0, 0.25, 0.5],
}
search = GridSearchCV(pipeline, param_grid, cv=3)
search.fit(X_train, y_train)

print("best parameters:", search.best_params_)
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy of the refitted pipeline: {search.score(X_test, y_test):.3f}")

# %%
# The grid as curves
# ------------------
# One curve per code size, cross-validated accuracy against the corruption
# level, with one standard deviation across folds. On these small images the
# size of the code matters more than the corruption level: the wider code
# scores higher at every level, while the level moves the accuracy by about
# the spread across folds.
results = search.cv_results_
fig, ax = plt.subplots(figsize=(6, 4))
for n_components in param_grid["dae__n_components"]:
    rows = np.flatnonzero(results["param_dae__n_components"] == n_components)
    levels = np.asarray(results["param_dae__corruption_level"][rows], dtype=float)
    mean = results["mean_test_score"][rows]
    std = results["std_test_score"][rows]
    ax.errorbar(levels, mean, yerr=std, marker="o", capsize=3, label=n_components)
ax.set_xlabel("corruption level (masking probability)")
ax.set_ylabel("cross-validated accuracy")
ax.set_title("DenoisingAutoencoder + LogisticRegression on digits")
ax.legend(title="n_components", loc="center right")
fig.tight_layout()
plt.show()
