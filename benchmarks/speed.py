"""Speed, side by side: goals 1-4 and torch.compile (issue 4).

Every figure is a ratio of two minimum times measured in the same run, with
the contenders interleaved (see :func:`benchmarks._common.interleaved_minimum`).
"""

import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import BernoulliRBM, MLPRegressor

from skdae import DenoisingAutoencoder

from . import _common, baselines
from ._common import (
    GemmPeak,
    interleaved_minimum,
    plot_path,
    print_table,
    synchronize,
    verdict,
    write_json,
)
from .data import load_mnist, tile_rows

N_FEATURES = 784
TRANSFORM_ROWS = 50_000


def skdae_fit(X, n_components, batch_size, epochs, device):
    """``DenoisingAutoencoder.fit`` of the benchmarked model, ``epochs`` epochs."""
    model = DenoisingAutoencoder(
        n_components,
        loss="cross_entropy",
        batch_size=batch_size,
        max_iter=epochs,
        random_state=0,
        device=device,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X)


def model_flops(n_samples, n_components, epochs):
    """FLOPs of fitting a tied layer: 10 * n_features * n_components per sample
    per epoch (2 forward and 3 backward matrix products)."""
    return 10 * N_FEATURES * n_components * n_samples * epochs


def overhead(X, args, peak):
    """Goal 1: skdae against a minimal hand-written loop, 784 -> 256, batch 128."""
    k, batch, epochs, device = 256, 128, args.epochs, args.device
    best, runs = interleaved_minimum(
        {
            "hand-written loop": lambda: baselines.hand_written_fit(
                X, k, batch, epochs, device=device
            ),
            "skdae": lambda: skdae_fit(X, k, batch, epochs, device),
        },
        args.repeats,
        peak.sample,
    )
    ratio = best["skdae"] / best["hand-written loop"]
    base = best["hand-written loop"]
    rows = [[name, seconds, seconds / base] for name, seconds in best.items()]
    print_table(
        f"Goal 1 - overhead: fit 784 -> {k}, batch {batch}, {epochs} epochs "
        f"of {len(X)} digits",
        ["contender", "best s", "time / hand-written"],
        rows,
    )
    return {"seconds": best, "runs": runs, "ratio": ratio, "limit": 1.05}


def physical_limit(X, args, peak):
    """Goal 2: model FLOP rate during fit over the GEMM peak, 784 -> 1024."""
    k, batch, epochs, device = 1024, 256, args.epochs, args.device
    best, runs = interleaved_minimum(
        {
            "skdae": lambda: skdae_fit(X, k, batch, epochs, device),
            "hand-written loop": lambda: baselines.hand_written_fit(
                X, k, batch, epochs, device=device
            ),
            "5 matrix products only": lambda: baselines.matrix_products_only(
                X, k, batch, epochs, device=device
            ),
        },
        args.repeats,
        peak.sample,
    )
    return {
        "seconds": best,
        "runs": runs,
        "flops": model_flops(len(X), k, epochs),
        "title": f"fit 784 -> {k}, batch {batch}, {epochs} epochs",
        "limit": 0.60,
    }


def report_physical_limit(result, peak):
    """Goal 2's fractions, against the best GEMM rate of the whole run.

    Called once every timing is done, so that the peak includes the samples
    taken after goal 2's own rounds: the fraction is never flattered by an
    early, slower peak.
    """
    best, flops = result["seconds"], result["flops"]
    fractions = {name: flops / seconds / peak.flops for name, seconds in best.items()}
    rows = [
        [name, best[name], flops / best[name] / 1e9, fractions[name]] for name in best
    ]
    print_table(
        f"Goal 2 - physical limit: {result['title']}; float32 GEMM peak "
        f"{peak.flops / 1e9:.1f} GFLOP/s (best of the run)",
        ["contender", "best s", "model GFLOP/s", "fraction of peak"],
        rows,
    )
    result.update(fractions=fractions, fraction=fractions["skdae"])


def peers(X, args, peak):
    """Goal 3: skorch, MLPRegressor and BernoulliRBM, same epochs, batch, size."""
    k, batch, epochs, device = 256, 128, args.epochs, args.device
    contenders = {"skdae": lambda: skdae_fit(X, k, batch, epochs, device)}
    try:
        import skorch  # noqa: F401

        contenders["skorch NeuralNetRegressor"] = lambda: baselines.skorch_regressor(
            N_FEATURES, k, batch, epochs, device
        ).fit(X, X)
    except ImportError:
        print("skorch is not installed (pip install skorch): skipping it.")
    contenders["MLPRegressor fit(X, X)"] = lambda: _mlp(k, batch, epochs).fit(X, X)
    contenders["BernoulliRBM"] = lambda: BernoulliRBM(
        k, learning_rate=0.06, batch_size=batch, n_iter=epochs, random_state=0
    ).fit(X)
    best, runs = interleaved_minimum(contenders, args.repeats, peak.sample)
    ratios = {name: best["skdae"] / seconds for name, seconds in best.items()}
    limits = {"skorch NeuralNetRegressor": 0.8, "MLPRegressor fit(X, X)": 0.6}
    rows = [
        [name, best[name], ratios[name], limits.get(name, "report")] for name in best
    ]
    print_table(
        f"Goal 3 - peers: 784 -> {k}, batch {batch}, {epochs} epochs "
        f"of {len(X)} digits",
        ["contender", "best s", "skdae time / its time", "goal"],
        rows,
    )
    return {"seconds": best, "runs": runs, "ratios": ratios, "limits": limits}


def _mlp(n_components, batch_size, epochs):
    model = MLPRegressor(
        hidden_layer_sizes=(n_components,),
        activation="logistic",
        solver="adam",
        batch_size=batch_size,
        learning_rate_init=1e-3,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    return model


def transform(X, args, peak):
    """Goal 4: transform of 50,000 x 784 -> 256 against the raw torch expression."""
    device = args.device
    big = tile_rows(X, TRANSFORM_ROWS)
    model = skdae_fit(X[:1000], 256, 128, 1, device)
    weight = torch.from_numpy(model.components_)
    bias = torch.from_numpy(model.intercept_hidden_)
    expected = baselines.raw_transform(big, weight, bias, device)
    np.testing.assert_allclose(model.transform(big), expected, atol=1e-5)
    best, runs = interleaved_minimum(
        {
            "raw torch expression": lambda: baselines.raw_transform(
                big, weight, bias, device
            ),
            "skdae transform": lambda: model.transform(big),
        },
        args.repeats,
        peak.sample,
    )
    ratio = best["skdae transform"] / best["raw torch expression"]
    print_table(
        f"Goal 4 - transform {TRANSFORM_ROWS} x 784 -> 256 (input validation included)",
        ["contender", "best s", "time / raw"],
        [[name, s, s / best["raw torch expression"]] for name, s in best.items()],
    )
    return {"seconds": best, "runs": runs, "ratio": ratio, "limit": 1.3}


def compile_check(X, args):
    """Goal 7: does ``torch.compile`` speed up the training step here?

    Times the hand-written loop eager and compiled (after a warm-up that pays
    the compilation), and the compilation itself.
    """
    k, batch, epochs, device = 256, 128, args.epochs, args.device
    start = _common.clock()
    try:
        baselines.hand_written_fit(X[:batch], k, batch, 1, device=device, compile=True)
    except Exception as error:  # noqa: BLE001 - any backend failure means "no"
        print(f"torch.compile failed here ({type(error).__name__}): {error}")
        return {"error": repr(error)}
    compile_seconds = _common.clock() - start
    best, runs = interleaved_minimum(
        {
            "eager": lambda: baselines.hand_written_fit(
                X, k, batch, epochs, device=device
            ),
            "torch.compile": lambda: baselines.hand_written_fit(
                X, k, batch, epochs, device=device, compile=True
            ),
        },
        args.repeats,
    )
    ratio = best["torch.compile"] / best["eager"]
    print_table(
        f"Goal 7 - torch.compile of the training step, 784 -> {k}, batch {batch}, "
        f"{epochs} epochs (first compilation {compile_seconds:.1f} s, not included)",
        ["variant", "best s", "time / eager"],
        [[name, s, s / best["eager"]] for name, s in best.items()],
    )
    return {
        "seconds": best,
        "runs": runs,
        "ratio": ratio,
        "compile_seconds": compile_seconds,
    }


def summary(results):
    """The goals as one table: figure, limit and verdict."""
    rows = [
        [
            "1 overhead vs hand-written loop",
            results["overhead"]["ratio"],
            "<= 1.05",
            verdict(results["overhead"]["ratio"], 1.05),
        ],
        [
            "2 fraction of GEMM peak",
            results["physical_limit"]["fraction"],
            ">= 0.60",
            verdict(results["physical_limit"]["fraction"], 0.60, at_most=False),
        ],
    ]
    ratios, limits = results["peers"]["ratios"], results["peers"]["limits"]
    for name, ratio in ratios.items():
        if name == "skdae":
            continue
        limit = limits.get(name)
        rows.append(
            [
                f"3 time vs {name}",
                ratio,
                f"<= {limit}" if limit else "report",
                verdict(ratio, limit) if limit else "reported",
            ]
        )
    rows.append(
        [
            "4 transform vs raw torch",
            results["transform"]["ratio"],
            "<= 1.3",
            verdict(results["transform"]["ratio"], 1.3),
        ]
    )
    if "ratio" in results.get("compile", {}):
        ratio = results["compile"]["ratio"]
        rows.append(
            [
                "7 torch.compile vs eager",
                ratio,
                "keep if < 1",
                "helps" if ratio < 1 else "does not help",
            ]
        )
    print_table("Speed goals", ["goal", "figure", "goal", "verdict"], rows)


def plot(results, path):
    """Bar chart of every ratio, with each goal's limit marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [
        ("1: fit / hand-written", results["overhead"]["ratio"], 1.05),
        ("2: fraction of GEMM peak", results["physical_limit"]["fraction"], 0.60),
    ]
    limits = results["peers"]["limits"]
    for name, ratio in results["peers"]["ratios"].items():
        if name != "skdae":
            bars.append((f"3: fit / {name}", ratio, limits.get(name)))
    bars.append(("4: transform / raw torch", results["transform"]["ratio"], 1.3))
    if "ratio" in results.get("compile", {}):
        bars.append(("7: compiled / eager", results["compile"]["ratio"], 1.0))
    figure, axes = plt.subplots(figsize=(8, 0.5 * len(bars) + 1.5))
    labels = [label for label, _, _ in bars]
    axes.barh(labels, [value for _, value, _ in bars], color="tab:blue")
    for index, (_, _, limit) in enumerate(bars):
        if limit is not None:
            axes.plot([limit, limit], [index - 0.4, index + 0.4], color="tab:red")
    axes.invert_yaxis()
    axes.set_xlabel("ratio (red: goal)")
    axes.set_title("skdae speed, side by side (same run, min of repeats)")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"wrote {path}")


def run(args):
    """Run every speed comparison, print the tables, write JSON and a plot."""
    X, _ = load_mnist()
    peak = GemmPeak(device=args.device).sample(16)
    results = {
        "settings": {
            "epochs": args.epochs,
            "repeats": args.repeats,
            "device": args.device,
            "n_samples": len(X),
        }
    }
    results["overhead"] = overhead(X, args, peak)
    results["physical_limit"] = physical_limit(X, args, peak)
    results["peers"] = peers(X, args, peak)
    results["transform"] = transform(X, args, peak)
    report_physical_limit(results["physical_limit"], peak)
    if not args.no_compile:
        results["compile"] = compile_check(X, args)
    results["gemm_peak_flops"] = peak.flops
    summary(results)
    write_json("speed", results, args.results)
    plot(results, plot_path("speed", args.results))
    synchronize(args.device)
    return results
