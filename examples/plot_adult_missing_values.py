"""
===============================================
Missing values and swap noise on a census table
===============================================

The Adult census table mixes 6 numeric columns (age, hours worked per week,
capital gains...) with 8 categorical ones (occupation, education, marital
status...), and some of its values are missing: the workclass and the
occupation of about 6% of the people, the native country of about 2%. The
task is to predict whether a person earns more than $50K a year.

Two of skdae's tools for such tables are shown here:

- :class:`~skdae.DenoisingAutoencoderImputer` fills each missing value with
  what a denoising autoencoder, trained on the observed entries, reconstructs
  from the rest of the row. A missing category becomes a score for each of
  its categories, learned from the other columns;
- ``corruption="swap"`` corrupts an entry by giving it the value of the same
  column in another row, so the noise takes every column's own values,
  whatever their scale or kind. It is the noise of the denoising autoencoder
  that won Porto Seguro's Kaggle competition in 2017 (see :ref:`tables`).

The pipelines below impute the table, add the codes of an autoencoder
trained with swap noise (or, for comparison, with masking noise) to its
columns, and fit a logistic regression on the result.
"""

# %%
# The data
# --------
# The table is read with pandas from the folder in the ``SKDAE_ADULT_DIR``
# environment variable, else from ``../shared/data/adult`` relative to the
# current directory: the project's data, beside the repository, seen from its
# root. A ``?`` in the files marks a missing value. To keep the example well
# under a minute on a laptop CPU, the models train on 6,000 of the 32,560
# training rows; they are scored on all 16,281 test rows.
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from skdae import DenoisingAutoencoder, DenoisingAutoencoderImputer

adult = Path(os.environ.get("SKDAE_ADULT_DIR", "../shared/data/adult"))
train, test = (
    pd.read_csv(adult / name, skipinitialspace=True, na_values="?")
    for name in ("adult.data.gz", "adult.test.gz")
)
X_train, X_test = train.drop(columns="income"), test.drop(columns="income")
# The test file writes its labels with a trailing dot (">50K.").
y_train = train["income"].str.startswith(">50K").to_numpy()
y_test = test["income"].str.startswith(">50K").to_numpy()
X_train, _, y_train, _ = train_test_split(
    X_train, y_train, train_size=6000, random_state=0, stratify=y_train
)
categorical = X_train.select_dtypes(exclude="number").columns.tolist()
numeric = X_train.select_dtypes(include="number").columns.tolist()
print("missing values in the training rows:")
print(X_train.isna().sum()[lambda counts: counts > 0].to_string())

# %%
# Missing categories as NaN
# -------------------------
# The missing values are all categorical, while the imputer, like the
# autoencoders, works on numbers. :class:`~sklearn.preprocessing.OneHotEncoder`
# turns each category into a 0/1 column and, by default, a missing value
# into a category of its own, ``"occupation_nan"`` say. The function below
# sets every one-hot column of a missing value to NaN instead (the person's
# occupation is unknown, not "none of them") and drops the ``_nan`` columns.
# The imputer then fills those columns with its reconstruction: one score per
# occupation, which plays the part of that occupation's probability.


def missing_categories_as_nan(X):
    """Set the one-hot columns of each missing category to NaN."""
    X = X.copy()
    indicators = [column for column in X.columns if column.endswith("_nan")]
    for indicator in indicators:
        feature = indicator.removesuffix("_nan")
        columns = [column for column in X.columns if column.startswith(feature + "_")]
        X.loc[X[indicator] == 1, columns] = np.nan
    return X.drop(columns=indicators)


encode = make_pipeline(
    ColumnTransformer(
        [
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                categorical,
            ),
            ("numeric", StandardScaler(), numeric),
        ],
        verbose_feature_names_out=False,
    ),
    FunctionTransformer(missing_categories_as_nan),
).set_output(transform="pandas")

# %%
# The imputer
# -----------
# The imputer standardizes each column by its observed entries and trains a
# denoising autoencoder on them, with half of the entries masked: masking a
# standardized entry sets it to its column's mean, as the imputer sets a
# missing one, so training rehearses the imputation on entries whose value is
# known. Its defaults are the ones to use.
#
# The imputation is fitted once, here, and shared by the pipelines below:
# :class:`~sklearn.frozen.FrozenEstimator` keeps them from fitting it again.
imputer = DenoisingAutoencoderImputer(random_state=0, device="cpu")
imputation = make_pipeline(encode, imputer).set_output(transform="pandas")
imputation.fit(X_train)
print(f"imputer's autoencoder: {imputation[-1].autoencoder_.n_iter_} epochs")

# %%
# The pipelines
# -------------
# The baseline one-hot encodes the categories, a missing value as a category
# of its own, and standardizes the numbers. The others start from the
# imputed table. Two of them append the codes of a
# :class:`~skdae.DenoisingAutoencoder` to its columns through a
# :class:`~sklearn.pipeline.FeatureUnion`, so that the classifier sees both:
# one trained with swap noise, one with the default masking noise, each at
# the default level of 25% of the entries. The codes go to the classifier as
# they come: standardizing them blows up the units that are rarely active,
# which cost the logistic regression half a point on this table
# (``python -m benchmarks tabular``). Each autoencoder stops on its own once
# its training loss levels off, after a few dozen epochs; 256 units instead
# of the default 1024 keep the example fast.


def with_codes(corruption):
    autoencoder = DenoisingAutoencoder(
        n_components=256, corruption=corruption, random_state=0, device="cpu"
    )
    return FeatureUnion([("columns", "passthrough"), ("codes", autoencoder)])


one_hot = ColumnTransformer(
    [
        ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ("numeric", StandardScaler(), numeric),
    ]
)
imputed = FrozenEstimator(imputation)


def classifier(*steps):
    return make_pipeline(*steps, LogisticRegression(max_iter=1000))


pipelines = {
    "one-hot, missing as a category": classifier(one_hot),
    "imputed": classifier(imputed),
    "imputed + masking-noise codes": classifier(imputed, with_codes("masking")),
    "imputed + swap-noise codes": classifier(imputed, with_codes("swap")),
}
accuracies = {}
for name, pipeline in pipelines.items():
    pipeline.fit(X_train, y_train)
    accuracies[name] = pipeline.score(X_test, y_test)
    print(f"{name:<32} test accuracy {accuracies[name]:.4f}")
for name in ("imputed + masking-noise codes", "imputed + swap-noise codes"):
    autoencoder = pipelines[name][1].named_transformers["codes"]
    print(f"{name}: autoencoder trained {autoencoder.n_iter_} epochs")

# %%
# On this table, with a linear classifier and 6,000 training rows, the four
# accuracies lie within half a percentage point of each other: the codes add
# a little, whichever the noise, and imputing alone does not beat the
# baseline, which keeps a signal that imputation removes: that a value is
# missing at all, which may say something about the person.
# ``add_indicator=True`` appends that signal to the imputer's output. On all
# 32,560 training rows, with 1024 units, the codes add about 0.7 points
# (``python -m benchmarks tabular``).
#
# What the imputer filled in
# --------------------------
# The test rows whose occupation is missing get one score per occupation.
# Their average is compared with how often each occupation occurs among the
# training rows where it is known. The scores are reconstructions under the
# squared error, clipped to the range each column held in fit, here [0, 1];
# nothing holds their sum to 1: the printout shows how close it comes.
occupations = [
    column
    for column in imputation[-1].feature_names_in_
    if column.startswith("occupation_")
]
names = np.array([column.removeprefix("occupation_") for column in occupations])
missing = X_test["occupation"].isna().to_numpy()
filled = imputation.transform(X_test[missing])[occupations].to_numpy()
observed_share = (
    X_train["occupation"].value_counts(normalize=True).reindex(names).to_numpy()
)
print(f"\n{missing.sum()} test rows without an occupation", end=", ")
print(f"{X_test['workclass'][missing].isna().sum()} of them without a workclass")
for column in ("age", "hours-per-week"):
    medians = X_test[column][missing].median(), X_test[column][~missing].median()
    print(f"  median {column}: {medians[0]:.0f} (others: {medians[1]:.0f})")
print("  their scores, summed over the occupations:", end=" ")
print(f"mean {filled.sum(axis=1).mean():.2f}", end=", ")
print(f"smallest score {filled.min():.2f}, largest {filled.max():.2f}")

# %%
# How good is the imputed category? Missing values have no truth to compare
# with, so we hide the known occupation of the other test rows, impute it,
# and count how often the highest score falls on the true occupation; the
# most frequent occupation of the training rows is the guess to beat.
known = encode.transform(X_test[~missing])
known[occupations] = np.nan
guess = names[imputation[-1].transform(known)[occupations].to_numpy().argmax(axis=1)]
truth = X_test.loc[~missing, "occupation"].to_numpy()
most_frequent = X_train["occupation"].mode()[0]
print(f"hidden occupations imputed right: {np.mean(guess == truth):.3f}")
print(f"always {most_frequent!r}: {np.mean(truth == most_frequent):.3f}")

# %%
# The figure
# ----------
# Left, the test accuracy of each pipeline; the dashed line predicts the
# majority class, "at most $50K", for everyone. Right, the occupations of the
# rows without one. Those rows are nearly all without a workclass too, and
# younger and working fewer hours than the others: the imputer gives them
# more service, cleaning and clerical jobs, and fewer professional and
# craft ones, than the known shares. It reads this from the other columns,
# which a fill with the most frequent category cannot.
order = np.argsort(observed_share)
fig, (left, right) = plt.subplots(
    1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1, 1.2]}
)
positions = np.arange(len(accuracies))[::-1]
left.barh(positions, list(accuracies.values()), color="tab:blue")
left.set_yticks(positions, list(accuracies))
for position, accuracy in zip(positions, accuracies.values(), strict=True):
    left.text(accuracy, position, f" {accuracy:.3f}", va="center", fontsize=9)
majority = 1 - y_test.mean()
left.axvline(majority, color="gray", linestyle="--", label="majority class")
left.set_xlim(majority - 0.01, max(accuracies.values()) + 0.02)
left.set_ylim(-0.6, len(accuracies))
left.set_xlabel("test accuracy")
left.set_title("LogisticRegression on Adult, 16,281 test rows")
left.legend(loc="upper right", fontsize=9)

rows = np.arange(len(names))
right.barh(rows + 0.2, observed_share[order], height=0.4, label="known, share")
right.barh(
    rows - 0.2, filled.mean(axis=0)[order], height=0.4, label="missing, mean score"
)
right.set_yticks(rows, names[order], fontsize=9)
right.set_xlabel("share of the rows, or mean imputed score")
right.set_title("occupation: known (training) and imputed (test)")
right.legend(loc="lower right", fontsize=9)
fig.tight_layout()
plt.show()
