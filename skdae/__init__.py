"""skdae: denoising autoencoders as scikit-learn transformers.

:class:`DenoisingAutoencoder` learns one layer of robust features;
:class:`StackedDenoisingAutoencoder` stacks them and fine-tunes the stack;
:class:`DenoisingAutoencoderImputer` fills missing values with what one
reconstructs; :class:`DenoisingAutoencoderOutlierDetector` flags the
samples that autoencoders reconstruct badly. All train with PyTorch on the
CPU or a GPU (``device``) and behave like any scikit-learn estimator.
"""

from . import exceptions
from ._dae import DenoisingAutoencoder
from ._impute import DenoisingAutoencoderImputer
from ._outliers import DenoisingAutoencoderOutlierDetector
from ._sdae import StackedDenoisingAutoencoder

__version__ = "0.1.0"

__all__ = [
    "DenoisingAutoencoder",
    "DenoisingAutoencoderImputer",
    "DenoisingAutoencoderOutlierDetector",
    "StackedDenoisingAutoencoder",
    "exceptions",
    "__version__",
]
