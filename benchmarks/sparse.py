"""Sparse input (issue 14): sampled reconstruction against the exact path.

Engine: a 50,000 x 20,000 CSR matrix with 1,000,000 stored ones and
word-like column frequencies (row indices uniform, column indices
``min(zipf(1.3) - 1, n_columns - 1)`` from ``default_rng(0)``, duplicates
merged), and the same at 100,000 columns. One epoch of
``DenoisingAutoencoder(n_components=256, max_iter=1)``, sampled (the default
for such input) and exact (``reconstruction_sampling=None``, one repeat: it
is slow), beside ``TruncatedSVD(256).fit`` in the same run; transform time
and the peak memory growth of a sampled fit.

Text: SMS spam, TF-IDF (min_df=2), 5-fold stratified CV shuffled with seed
0, F1 of the spam class; each learned representation + StandardScaler +
LogisticRegression, raw TF-IDF straight into LogisticRegression.
"""

import threading
import time
import warnings

import numpy as np
import psutil
from sklearn.decomposition import TruncatedSVD
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdae import DenoisingAutoencoder, StackedDenoisingAutoencoder
from skdae._sparse import AUTO_SAMPLED_COLUMNS

from ._common import (
    interleaved_minimum,
    plot_path,
    print_table,
    save_figure,
    verdict,
    write_json,
)
from .data import load_sms_spam, make_word_counts

N_ROWS, N_ENTRIES = 50_000, 1_000_000
WIDTHS = (20_000, 100_000)
N_COMPONENTS = 256
SDAE_SIZES = (256, 128)


def word_matrix(n_columns, n_rows=N_ROWS, n_entries=N_ENTRIES, seed=0):
    """The issue's CSR matrix of ones with Zipf column frequencies."""
    return make_word_counts(n_rows, n_columns, n_entries, seed)


def one_epoch(device, **params):
    return DenoisingAutoencoder(
        N_COMPONENTS,
        max_iter=1,
        early_stopping=False,
        random_state=0,
        device=device,
        **params,
    )


def peak_growth(function):
    """Peak growth of the process's resident memory while ``function`` runs,
    sampled every 5 ms, in MiB."""
    process = psutil.Process()
    start = process.memory_info().rss
    peak = [start]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            done.wait(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = function()
    finally:
        done.set()
        watcher.join()
    return (peak[0] - start) / 2**20, result


def state_megabytes(dae):
    """Weights and solver moments of a fitted model, in MB (10^6 bytes)."""
    weights = sum(
        getattr(dae, name).nbytes
        for name in ("components_", "intercept_hidden_", "intercept_visible_")
    )
    moments = 0
    for state in dae._optimizer_state["optimizers"]:
        for entry in state["state"].values():
            moments += sum(v.nbytes for v in entry.values() if hasattr(v, "nbytes"))
    return weights / 1e6, moments / 1e6


def engine(device, repeats, quick):
    """Sampled and exact epochs, TruncatedSVD, transform and memory."""
    results = {}
    for width in WIDTHS:
        X = word_matrix(
            width,
            n_rows=5_000 if quick else N_ROWS,
            n_entries=100_000 if quick else N_ENTRIES,
        )
        seconds, _ = interleaved_minimum(
            {
                "sampled epoch": lambda X=X: one_epoch(device).fit(X),
                "TruncatedSVD(256).fit": lambda X=X: TruncatedSVD(
                    N_COMPONENTS, random_state=0
                ).fit(X),
            },
            repeats,
        )
        memory, dae = peak_growth(lambda X=X: one_epoch(device).fit(X))
        start = time.perf_counter()
        dae.transform(X)
        seconds["transform"] = time.perf_counter() - start
        weights, moments = state_megabytes(dae)
        results[width] = {
            "nnz": int(X.nnz),
            **seconds,
            "peak_memory_growth_mib": memory,
            "weights_mb": weights,
            "moments_mb": moments,
        }
        if width == WIDTHS[0]:
            start = time.perf_counter()
            one_epoch(device, reconstruction_sampling=None).fit(X)
            results[width]["exact epoch"] = time.perf_counter() - start
        print(f"  {width} columns: {results[width]}", flush=True)
    return results


def text(device, quick):
    """5-fold spam F1 of raw TF-IDF and of each learned representation; the
    DAEs over three seeds, whose spread on this small corpus (about 750 spam
    messages) is several points."""
    texts, y = load_sms_spam()
    if quick:
        texts, y = texts[:1500], y[:1500]
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    results = {}
    for name, make, seeds in _text_contenders(device, quick):
        per_seed = []
        start = time.perf_counter()
        for seed in seeds:
            steps = [TfidfVectorizer(min_df=2)]
            representation = make(seed)
            if representation is not None:
                steps += [representation, StandardScaler()]
            model = make_pipeline(*steps, LogisticRegression(max_iter=2000))
            per_seed.append(cross_val_score(model, texts, y, cv=cv, scoring="f1"))
        results[name] = {
            "f1": float(np.mean(per_seed)),
            "f1_per_seed": [float(np.mean(scores)) for scores in per_seed],
            "seconds_per_seed": (time.perf_counter() - start) / len(seeds),
        }
        print(f"  {name}: {results[name]}", flush=True)
    return results


def _text_contenders(device, quick):
    """(name, seed -> representation or None, seeds) of the text run."""
    seeds = (0,) if quick else (0, 1, 2)

    def dae(sampling):
        return lambda seed: DenoisingAutoencoder(
            N_COMPONENTS,
            reconstruction_sampling=sampling,
            random_state=seed,
            device=device,
        )

    return [
        ("raw TF-IDF", lambda seed: None, (0,)),
        (
            "TruncatedSVD(256)",
            lambda seed: TruncatedSVD(N_COMPONENTS, random_state=seed),
            (0,),
        ),
        # Explicit, though "auto" samples such input too: a fold of the quick
        # form has fewer columns than "auto" samples from.
        ("DenoisingAutoencoder(256), sampled", dae(AUTO_SAMPLED_COLUMNS), seeds),
        ("DenoisingAutoencoder(256), exact", dae(None), seeds),
        (
            f"StackedDenoisingAutoencoder({SDAE_SIZES}), sampled, unsupervised",
            lambda seed: StackedDenoisingAutoencoder(
                SDAE_SIZES,
                fine_tuning="unsupervised",
                reconstruction_sampling=AUTO_SAMPLED_COLUMNS,
                random_state=seed,
                device=device,
            ),
            (0,),
        ),
    ]


def goals(engine_results, text_results):
    narrow, wide = (engine_results[w] for w in WIDTHS)
    sampled = narrow["sampled epoch"]
    rows = [
        [
            "sampled epoch / TruncatedSVD fit (20,000 columns)",
            sampled / narrow["TruncatedSVD(256).fit"],
            "<= 1",
        ],
        [
            "exact epoch / sampled epoch (20,000 columns)",
            narrow["exact epoch"] / sampled,
            ">= 20",
        ],
        [
            "sampled epoch, 100,000 / 20,000 columns",
            wide["sampled epoch"] / sampled,
            "< 1.5",
        ],
        [
            "peak memory growth of a sampled fit, 20,000 columns (MiB)",
            narrow["peak_memory_growth_mib"],
            "< 256",
        ],
    ]
    svd = text_results["TruncatedSVD(256)"]["f1"]
    dae = text_results["DenoisingAutoencoder(256), sampled"]["f1"]
    exact = text_results["DenoisingAutoencoder(256), exact"]["f1"]
    rows += [
        [
            "SMS spam F1, mean of 3 seeds: sampled DAE - TruncatedSVD (points)",
            100 * (dae - svd),
            ">= 0",
        ],
        [
            "SMS spam F1, mean of 3 seeds: |sampled - exact| (points)",
            100 * abs(dae - exact),
            "<= 0.5",
        ],
    ]
    checks = {
        "<= 1": (1, True),
        ">= 20": (20, False),
        "< 1.5": (1.5, True),
        "< 256": (256, True),
        ">= 0": (0, False),
        "<= 0.5": (0.5, True),
    }
    return [[*row, verdict(row[1], *checks[row[2]])] for row in rows]


def plot(engine_results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    widths = list(engine_results)
    for key, marker in (("sampled epoch", "o"), ("TruncatedSVD(256).fit", "s")):
        axis.plot(
            widths, [engine_results[w][key] for w in widths], marker=marker, label=key
        )
    exact = [
        (w, r["exact epoch"]) for w, r in engine_results.items() if "exact epoch" in r
    ]
    axis.plot(*zip(*exact, strict=True), "x", markersize=10, label="exact epoch")
    axis.set_xlabel(
        "columns (50,000 rows; 1,000,000 entries drawn, 650,000 once merged)"
    )
    axis.set_ylabel("seconds")
    axis.set_yscale("log")
    axis.set_title("One epoch of DenoisingAutoencoder(256) on sparse input")
    axis.legend()
    save_figure(figure, path)


def run(args):
    # Its full form takes about 10 minutes: "all" runs the quick one.
    quick = args.quick or args.command == "all"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        print("engine:", flush=True)
        engine_results = engine(args.device, args.repeats, quick)
        print("SMS spam:", flush=True)
        text_results = text(args.device, quick)
    print_table(
        "Sparse engine: seconds (minimum of interleaved repeats; exact: one run)",
        [
            "columns",
            "sampled epoch",
            "exact epoch",
            "TruncatedSVD(256).fit",
            "transform",
            "peak memory growth (MiB)",
            "weights (MB)",
            "moments (MB)",
        ],
        [
            [
                w,
                r["sampled epoch"],
                r.get("exact epoch", ""),
                r["TruncatedSVD(256).fit"],
                r["transform"],
                r["peak_memory_growth_mib"],
                r["weights_mb"],
                r["moments_mb"],
            ]
            for w, r in engine_results.items()
        ],
    )
    print_table(
        "SMS spam: spam F1, 5-fold CV (mean over seeds)",
        ["representation", "F1", "F1 per seed", "seconds per seed"],
        [
            [
                name,
                r["f1"],
                " ".join(f"{f:.4f}" for f in r["f1_per_seed"]),
                r["seconds_per_seed"],
            ]
            for name, r in text_results.items()
        ],
    )
    verdicts = goals(engine_results, text_results)
    print_table("Goals", ["goal", "figure", "target", "verdict"], verdicts)
    write_json(
        "sparse",
        {
            "engine": {str(k): v for k, v in engine_results.items()},
            "text": text_results,
            "goals": verdicts,
            "quick": quick,
        },
        args.results,
    )
    plot(engine_results, plot_path("sparse", args.results))
