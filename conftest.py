"""Repository-wide pytest set-up, loaded before any test module."""

import os
import sys

# scikit-learn's array API mode needs scipy's, which is read when scipy is
# first imported: set it here, before the doctests or tests import scipy.
if "scipy" not in sys.modules:
    os.environ.setdefault("SCIPY_ARRAY_API", "1")
