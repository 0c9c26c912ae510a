"""skdae: denoising autoencoders as scikit-learn transformers.

:class:`DenoisingAutoencoder` learns one layer of robust features;
:class:`StackedDenoisingAutoencoder` stacks them and fine-tunes the stack;
:class:`DenoisingAutoencoderImputer` fills missing values with what one
reconstructs. All train with PyTorch on the CPU or a GPU (``device``) and
behave like any scikit-learn transformer.
"""

from . import exceptions
from ._dae import DenoisingAutoencoder
from ._impute import DenoisingAutoencoderImputer
from ._sdae import StackedDenoisingAutoencoder

__version__ = "0.1.0"

__all__ = [
    "DenoisingAutoencoder",
    "DenoisingAutoencoderImputer",
    "StackedDenoisingAutoencoder",
    "exceptions",
    "__version__",
]
