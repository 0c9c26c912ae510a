"""scikit-learn's estimator checks, on the defaults and other configurations."""

from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdae import (
    DenoisingAutoencoder,
    DenoisingAutoencoderImputer,
    DenoisingAutoencoderOutlierDetector,
    StackedDenoisingAutoencoder,
)

# A weight of 2 cannot equal a repeated row: each copy of a repeated row draws
# its own corruption noise and lands in its own place in the shuffled batches.
SAMPLE_WEIGHT_REASON = (
    "stochastic minibatch training: a weight of 2 is not a repeated row, whose "
    "copies draw their own noise and batch positions"
)


# sklearn's Pipeline fits its steps in place, so the steps parameter looks
# changed after fit; the DenoisingAutoencoder inside passes these checks alone.
PIPELINE_REASON = "Pipeline fits the step objects of its steps parameter in place"
# A Pipeline never takes the allow_nan tag of its steps, so the check expects
# an error for NaN; here every step takes NaN (MinMaxScaler and the model).
PIPELINE_NAN_REASON = "Pipeline ignores its steps' allow_nan tags; its steps take NaN"


def expected_failed_checks(estimator):
    if isinstance(estimator, Pipeline):
        return {
            "check_estimators_overwrite_params": PIPELINE_REASON,
            "check_dont_overwrite_parameters": PIPELINE_REASON,
            "check_estimators_nan_inf": PIPELINE_NAN_REASON,
        }
    if isinstance(
        estimator, DenoisingAutoencoderImputer | DenoisingAutoencoderOutlierDetector
    ):
        return {}
    return {
        "check_sample_weight_equivalence_on_dense_data": SAMPLE_WEIGHT_REASON,
        "check_sample_weight_equivalence_on_sparse_data": SAMPLE_WEIGHT_REASON,
    }


ESTIMATORS = [
    DenoisingAutoencoder(),
    DenoisingAutoencoder(corruption="gaussian", corruption_level=0.1),
    DenoisingAutoencoder(corruption="salt_and_pepper", tied_weights=False),
    DenoisingAutoencoder(corruption="swap", corruption_level=0.5),
    # The default step size is Adam's; plain SGD on the checks' unscaled data
    # diverges with it (a clear TrainingDivergedError), so it gets half.
    DenoisingAutoencoder(
        corruption=None, activation="tanh", solver="sgd", learning_rate_init=1e-3
    ),
    DenoisingAutoencoder(activation="relu", early_stopping=True, batch_size=16),
    # Cross-entropy needs X in [0, 1]; the checks' data is not, so the scaler a
    # user would put in front comes with it.
    make_pipeline(
        MinMaxScaler(clip=True),
        DenoisingAutoencoder(loss="cross_entropy", random_state=0),
    ),
    StackedDenoisingAutoencoder(),
    StackedDenoisingAutoencoder(fine_tuning=None),
    StackedDenoisingAutoencoder(fine_tuning="supervised"),
    StackedDenoisingAutoencoder(
        (16, 8, 4),
        corruption=["salt_and_pepper", "gaussian", "masking"],
        activation=["sigmoid", "tanh", "sigmoid"],
        max_iter=[5, 10, 20],
        early_stopping=True,
        tied_weights=False,
    ),
    StackedDenoisingAutoencoder((8, 4), corruption=["swap", "masking"]),
    DenoisingAutoencoderImputer(),
    DenoisingAutoencoderImputer(add_indicator=True, missing_values=-1),
    DenoisingAutoencoderImputer(StackedDenoisingAutoencoder((8, 4))),
    # The default step budget trains each member for up to 1,000 epochs on
    # the checks' few rows: a smaller one keeps the checks quick.
    DenoisingAutoencoderOutlierDetector(max_steps=50),
    DenoisingAutoencoderOutlierDetector(
        StackedDenoisingAutoencoder((8, 4)),
        n_estimators=2,
        max_steps=50,
        scaling="quantile",
        contamination=0.1,
    ),
    DenoisingAutoencoderOutlierDetector(
        DenoisingAutoencoder(8, max_iter=20), scaling="robust", max_steps=None
    ),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
