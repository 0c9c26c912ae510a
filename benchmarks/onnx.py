"""ONNX export of a digit classifier: same labels, and onnxruntime's speed (issue 15).

``Pipeline(DenoisingAutoencoder(random_state=0), StandardScaler(),
LogisticRegression(max_iter=1000))`` is fitted on the 5,000 training digits
of the reference split, exported in float32 with :func:`skdae.onnx.to_onnx`
and run by onnxruntime on the 5,000 test digits. Reported: how many predicted
labels differ from ``pipeline.predict`` (the goal is none), the largest
difference of the probabilities, and the inference time of onnxruntime
beside ``pipeline.predict``'s, for the whole batch and for one digit at a
time, each the minimum of interleaved rounds.
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdae import DenoisingAutoencoder

from ._common import interleaved_minimum, print_table, verdict, write_json
from .data import reference_split

# One-digit requests per timing round: enough for a steady per-call figure.
SINGLE_ROW_CALLS = 200


def fit_pipeline(X_train, y_train, device, quick=False):
    """The benchmarked pipeline, fitted; ``quick`` trains 2 epochs only."""
    dae = DenoisingAutoencoder(random_state=0, device=device)
    if quick:
        dae.set_params(max_iter=2)
    pipeline = make_pipeline(dae, StandardScaler(), LogisticRegression(max_iter=1000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        pipeline.fit(X_train, y_train)
    return pipeline, time.perf_counter() - start


def export(pipeline, X, threads):
    """The float32 ONNX model of ``pipeline`` and an onnxruntime session of it.

    ZipMap is left out, so that the session returns the probabilities as one
    array, as ``predict_proba`` does.
    """
    import onnxruntime

    from skdae.onnx import to_onnx

    classifier = pipeline[-1]
    start = time.perf_counter()
    onnx_model = to_onnx(
        pipeline, X, dtype=np.float32, options={id(classifier): {"zipmap": False}}
    )
    export_seconds = time.perf_counter() - start
    options = onnxruntime.SessionOptions()
    if threads:
        # The same thread budget as torch and the BLAS get from --threads.
        options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return onnx_model, session, export_seconds


def agreement(pipeline, session, X_test):
    """Labels and probabilities of onnxruntime against the pipeline's."""
    input_name = session.get_inputs()[0].name
    labels, probabilities = session.run(None, {input_name: X_test})
    expected = pipeline.predict(X_test)
    return {
        "n_test": len(X_test),
        "n_labels_differ": int(np.sum(labels != expected)),
        "max_abs_probability_difference": float(
            np.max(np.abs(probabilities - pipeline.predict_proba(X_test)))
        ),
    }


def timings(pipeline, session, X_test, repeats):
    """Minimum seconds of batch and one-digit inference, each way."""
    input_name = session.get_inputs()[0].name
    rows = [X_test[i : i + 1] for i in range(SINGLE_ROW_CALLS)]

    def onnx_rows():
        for row in rows:
            session.run(None, {input_name: row})

    def predict_rows():
        for row in rows:
            pipeline.predict(row)

    seconds, all_seconds = interleaved_minimum(
        {
            "onnxruntime, batch": lambda: session.run(None, {input_name: X_test}),
            "pipeline.predict, batch": lambda: pipeline.predict(X_test),
            "onnxruntime, one digit": onnx_rows,
            "pipeline.predict, one digit": predict_rows,
        },
        repeats,
    )
    for name in ("onnxruntime, one digit", "pipeline.predict, one digit"):
        seconds[name] /= SINGLE_ROW_CALLS
    return seconds, all_seconds


def run(args):
    """Fit, export, compare and time; print the tables and write JSON."""
    try:
        import onnxruntime
        import skl2onnx
    except ImportError as error:
        print(f'Skipping onnx: {error}; pip install -e ".[bench]" installs it.')
        return None
    X_train, X_test, y_train, _ = reference_split()
    pipeline, fit_seconds = fit_pipeline(X_train, y_train, args.device, args.quick)
    onnx_model, session, export_seconds = export(pipeline, X_test, args.threads)
    agree = agreement(pipeline, session, X_test)
    seconds, all_seconds = timings(pipeline, session, X_test, args.repeats)
    results = {
        "pipeline": "DenoisingAutoencoder(random_state=0) + StandardScaler + "
        "LogisticRegression(max_iter=1000), float32",
        "quick": args.quick,
        "dae_epochs": pipeline[0].n_iter_,
        "fit_seconds": fit_seconds,
        "export_seconds": export_seconds,
        "onnx_bytes": onnx_model.ByteSize(),
        "versions": {
            "onnxruntime": onnxruntime.__version__,
            "skl2onnx": skl2onnx.__version__,
        },
        "agreement": agree,
        "seconds": seconds,
        "all_seconds": all_seconds,
    }
    _print(results, len(X_test))
    write_json("onnx", results, args.results)
    return results


def _print(results, n_test):
    agree = results["agreement"]
    print_table(
        f"ONNX export - the same labels on the {n_test:,} test digits "
        f"(DAE of {results['dae_epochs']} epochs, model of "
        f"{results['onnx_bytes'] / 2**20:.2f} MiB, exported in "
        f"{results['export_seconds']:.2f} s)",
        ["figure", "value", "goal", "verdict"],
        [
            [
                "labels that differ",
                agree["n_labels_differ"],
                "0",
                verdict(agree["n_labels_differ"], 0),
            ],
            [
                "largest probability difference",
                agree["max_abs_probability_difference"],
                "",
                "",
            ],
        ],
    )
    seconds = results["seconds"]
    rows = []
    for scope in ("batch", "one digit"):
        onnx = seconds[f"onnxruntime, {scope}"]
        predict = seconds[f"pipeline.predict, {scope}"]
        rows.append([scope, 1e3 * onnx, 1e3 * predict, onnx / predict])
    rounds = len(results["all_seconds"]["onnxruntime, batch"])
    print_table(
        f"ONNX export - inference time (minimum of {rounds} interleaved rounds; "
        f"batch: the {n_test:,} test digits at once, one digit: per call)",
        ["input", "onnxruntime ms", "pipeline.predict ms", "onnxruntime / predict"],
        rows,
    )
