"""Repository-wide pytest set-up, loaded before any test module."""

import importlib.util
import os
import sys

# scikit-learn's array API mode needs scipy's, which is read when scipy is
# first imported: set it here, before the doctests or tests import scipy.
if "scipy" not in sys.modules:
    os.environ.setdefault("SCIPY_ARRAY_API", "1")

# skdae.onnx needs the optional onnx extra; without it, its doctests are not
# collected (tests/test_onnx.py says why it skips).
if importlib.util.find_spec("skl2onnx") is None:
    collect_ignore = ["skdae/onnx.py"]
