"""Did a refactoring leave the fits as they were? The fitted arrays of two commits.

``python -m benchmarks.compare_weights [--old REV] [--new REV]
[--new-params NAME=VALUE ...]``, from the repository root. Both commits are
exported (``git archive``, so nothing is added to the repository) into a
temporary folder; uncommitted changes are not compared: commit them first.
For each, one fresh process (``_weights_run.py``, with that tree first on
``PYTHONPATH``) fits a fixed list of small seeded cases on one thread, on
the CPU: DenoisingAutoencoder with each loss, NaN, sample weights, untied
weights, SGD, each corruption, early stopping, the automatic batch of 128,
``partial_fit``, ``warm_start``, sparse input exact and sampled, more than
1,024 rows; StackedDenoisingAutoencoder with each fine-tuning, few labels,
early stopping and ``partial_fit``; the imputer and the outlier detector.
It writes every fitted attribute (the layers', members' and inner
autoencoders' too) and ``transform`` of a few rows to one ``.npz``.

Each case runs with ``random_state=0`` and the tree's own defaults beyond
its few parameters, so that a changed default shows as changed weights.
The comparison is of this machine with itself: no stored reference, since
another CPU may round differently.

``--new-params NAME=VALUE`` (repeatable; VALUE a Python literal, read by
:func:`ast.literal_eval`) sets NAME on the new commit's estimators only,
wherever a case's estimator takes it: on the estimator itself, and on the
autoencoder that the imputer's and the detector's cases give them as
``autoencoder=`` (as ``autoencoder__NAME``). A parameter that the new commit
adds, at a value meant to keep the old behaviour, is then checked to keep
it. The cases that took no such parameter are listed.

The table gives, per case, how many arrays are bitwise identical and the
largest absolute difference; the cases and arrays present on one side only
(a case that failed there) are listed. Every array's result is written to
``benchmarks/results/compare_weights.json``. The exit status is 0 when
every array of every case is bitwise identical, 1 otherwise.
"""

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ._common import RESULTS_DIR, print_table, write_json
from ._trees import export, git

WEIGHTS_RUN = Path(__file__).resolve().parent / "_weights_run.py"
# The child limits its threads itself; these make every library start so.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _parameter(text):
    """``NAME=VALUE`` as ``(NAME, value)``, VALUE a Python literal."""
    name, equals, value = text.partition("=")
    if not equals or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError) as error:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a Python literal; quote a string: {name}='\"...\"'"
        ) from error


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare_weights",
        description="Bitwise comparison of the fitted arrays of two commits, "
        "single-process seeded fits on this machine.",
    )
    parser.add_argument(
        "--old", default=None, help="default: the merge base of --new and main"
    )
    parser.add_argument("--new", default="HEAD")
    parser.add_argument(
        "--new-params",
        type=_parameter,
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME=VALUE",
        help="parameters set on the new commit's estimators only",
    )
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    return parser


def _fit_arrays(tree, out, params):
    """Run the cases in a fresh process on ``tree``; its report (errors,
    parameters set), the arrays being in ``out``."""
    command = [
        sys.executable,
        str(WEIGHTS_RUN),
        f"--tree={tree}",
        f"--out={out}",
        *(f"--param={name}={value!r}" for name, value in params.items()),
    ]
    # The tree under test comes first on the path, before any installed skdae.
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        **dict.fromkeys(THREAD_VARIABLES, "1"),
    }
    start = time.perf_counter()
    run = subprocess.run(
        command, cwd=tree, env=env, stdout=subprocess.PIPE, text=True, check=False
    )
    if run.returncode != 0:
        raise SystemExit(f"the fits in {tree} failed (status {run.returncode})")
    report = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"{tree.name}: {time.perf_counter() - start:.1f} s", flush=True)
    return report


def _load(path):
    """The arrays of a ``.npz`` by case, then attribute."""
    cases = {}
    with np.load(path) as arrays:
        for key in arrays.files:
            case, _, attribute = key.partition("/")
            cases.setdefault(case, {})[attribute] = arrays[key]
    return cases


def _difference(old, new):
    """Whether two arrays are bitwise identical, and their largest absolute
    difference (None when not comparable as numbers)."""
    identical = (
        old.dtype == new.dtype
        and old.shape == new.shape
        and old.tobytes() == new.tobytes()
    )
    numeric = old.dtype.kind in "biuf" and new.dtype.kind in "biuf"
    if identical or not numeric or old.shape != new.shape:
        return {"identical": identical, "max_abs_diff": 0.0 if identical else None}
    old, new = old.astype(np.float64), new.astype(np.float64)
    gap = np.abs(old - new)
    # NaN on both sides (a missing entry kept) is no difference; on one side
    # it is an infinite one.
    gap = np.where(np.isnan(old) & np.isnan(new), 0.0, gap)
    gap = np.where(np.isnan(gap), np.inf, gap)
    return {"identical": False, "max_abs_diff": float(gap.max(initial=0.0))}


def _compare_case(old, new):
    """The comparison of one case present on both sides."""
    return {
        "arrays": {
            attribute: _difference(old[attribute], new[attribute])
            for attribute in sorted(old.keys() & new.keys())
        },
        "only_old": sorted(old.keys() - new.keys()),
        "only_new": sorted(new.keys() - old.keys()),
    }


def _compare(old, new, errors, order):
    """Every case compared, in ``order`` (the names in the order they ran),
    failed ones included: a case missing on a side has that side's error
    (or "no arrays") under ``missing``."""
    arrays = {"old": old, "new": new}
    cases = dict.fromkeys([*order, *old, *new])
    results = {}
    for case in cases:
        missing = {
            side: errors[side].get(case, "no arrays")
            for side in arrays
            if case not in arrays[side]
        }
        results[case] = (
            {"missing": missing} if missing else _compare_case(old[case], new[case])
        )
    return results


def _is_identical(result):
    return (
        "missing" not in result
        and not result["only_old"]
        and not result["only_new"]
        and all(array["identical"] for array in result["arrays"].values())
    )


def _row(case, result):
    """A table row: case, arrays, identical, largest difference and where."""
    if "missing" in result:
        return [case, "-", "-", "-", f"failed on {' and '.join(result['missing'])}"]
    arrays = result["arrays"]
    gaps = {
        attribute: array["max_abs_diff"]
        for attribute, array in arrays.items()
        if not array["identical"]
    }
    worst = max(gaps, key=lambda a: -1 if gaps[a] is None else gaps[a], default="")
    largest = gaps.get(worst, 0.0)
    one_side = len(result["only_old"]) + len(result["only_new"])
    where = worst + (f" (+{one_side} on one side)" if one_side else "")
    identical = sum(array["identical"] for array in arrays.values())
    return [case, len(arrays), identical, "n/a" if largest is None else largest, where]


def _report(results):
    """Print the table and what is on one side only; True when identical."""
    print_table(
        "compare_weights: fitted arrays, new against old",
        ["case", "arrays", "identical", "max abs diff", "largest in"],
        [_row(case, result) for case, result in results.items()],
    )
    for case, result in results.items():
        for side, error in result.get("missing", {}).items():
            print(f"{case}: failed on {side}: {error}")
        for side in ("old", "new"):
            if result.get(f"only_{side}"):
                print(f"{case}: only on {side}: {', '.join(result[f'only_{side}'])}")
    differ = [case for case, result in results.items() if not _is_identical(result)]
    print(
        f"{len(differ)} of {len(results)} cases differ"
        if differ
        else f"every array of the {len(results)} cases bitwise identical"
    )
    return not differ


def _report_parameters(params, applied):
    """Say which cases took each of ``--new-params``."""
    for name in params:
        taken = [
            case
            for case, keys in applied.items()
            if any(key == name or key.endswith(f"__{name}") for key in keys)
        ]
        missed = [case for case in applied if case not in taken]
        print(f"--new-params {name}: set in {len(taken)} of {len(applied)} cases")
        if taken and missed:
            print(f"  not taken by: {'; '.join(missed)}")


def main(argv=None):
    args = _parser().parse_args(argv)
    old = args.old or git("merge-base", args.new, "main")
    params = dict(args.new_params)
    with tempfile.TemporaryDirectory(prefix="skdae-weights-") as tmp:
        tmp = Path(tmp)
        commits = {
            "old": export(old, tmp / "old"),
            "new": export(args.new, tmp / "new"),
        }
        print(f"old {commits['old']}\nnew {commits['new']}", flush=True)
        reports = {
            "old": _fit_arrays(tmp / "old", tmp / "old.npz", {}),
            "new": _fit_arrays(tmp / "new", tmp / "new.npz", params),
        }
        errors = {side: report["errors"] for side, report in reports.items()}
        results = _compare(
            _load(tmp / "old.npz"),
            _load(tmp / "new.npz"),
            errors,
            reports["new"]["cases"],
        )
    _report_parameters(params, reports["new"]["applied"])
    identical = _report(results)
    settings = {
        "old": args.old,
        "new": args.new,
        "commits": commits,
        "new_params": {name: repr(value) for name, value in params.items()},
    }
    payload = {
        "settings": settings,
        "identical": identical,
        "errors": errors,
        "cases": results,
    }
    write_json("compare_weights", payload, args.results)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
