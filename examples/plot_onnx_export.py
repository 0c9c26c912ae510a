"""
=====================================================
Serving a pipeline with ONNX, without torch or Python
=====================================================

A fitted pipeline of a :class:`~skdae.DenoisingAutoencoder` and a
:class:`~sklearn.linear_model.LogisticRegression` is exported to `ONNX
<https://onnx.ai>`_ and run by `onnxruntime <https://onnxruntime.ai>`_. The
exported file holds the encoder's weights and the classifier's coefficients
as a graph of standard operators, so the serving side needs an ONNX runtime
only: no scikit-learn, no PyTorch, not even Python (onnxruntime also runs in
C, C++, C#, Java and JavaScript, on phones and in browsers).

``import skdae.onnx`` (from the ``onnx`` extra: ``pip install "skdae[onnx]"``)
teaches `skl2onnx <https://onnx.ai/sklearn-onnx/>`_ to convert skdae's
estimators. See :ref:`deployment` for ONNX beside pickle and skops.
"""

# %%
# Fit the pipeline
# ----------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

import skdae.onnx
from skdae import DenoisingAutoencoder

# A short training for the sake of the example's run time.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, random_state=0, stratify=y
)

classifier = LogisticRegression(max_iter=2000)
pipeline = make_pipeline(
    DenoisingAutoencoder(
        n_components=64,
        loss="cross_entropy",
        max_iter=50,
        random_state=0,
        device="cpu",
    ),
    classifier,
).fit(X_train, y_train)
print(f"test accuracy of the pipeline: {pipeline.score(X_test, y_test):.3f}")

# %%
# Export it
# ---------
# One row of input tells the converter the name, type and width of the
# graph's input. ``dtype`` chooses the precision of the graph: float32 here,
# float64 on request. ZipMap (skl2onnx's default output of a classifier, a
# list of dictionaries) is turned off, so that the probabilities come out as
# one array, as from ``predict_proba``. ``skl2onnx.to_onnx(pipeline, X[:1])``
# works too, once :mod:`skdae.onnx` is imported.
onnx_model = skdae.onnx.to_onnx(
    pipeline, X_train, dtype=np.float32, options={id(classifier): {"zipmap": False}}
)
print("operators:", sorted({node.op_type for node in onnx_model.graph.node}))
print(f"size: {onnx_model.ByteSize() / 1024:.0f} KiB")

# %%
# ``onnx_model.SerializeToString()`` is the file's content: write it with
# ``open("digits.onnx", "wb").write(...)`` and load it anywhere.
#
# Run it with onnxruntime
# -----------------------
# The session sees nothing of scikit-learn or torch: only the graph.
session = onnxruntime.InferenceSession(
    onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
)
print("inputs:", [(i.name, i.type, i.shape) for i in session.get_inputs()])
print("outputs:", [(o.name, o.type, o.shape) for o in session.get_outputs()])
labels, probabilities = session.run(None, {"X": X_test})

same = np.mean(labels == pipeline.predict(X_test))
difference = np.abs(probabilities - pipeline.predict_proba(X_test))
print(f"labels equal to pipeline.predict: {same:.1%}")
print(f"largest probability difference: {difference.max():.1e}")

# %%
# The two runtimes agree
# ----------------------
# Each point is one test digit's probability of one class, from
# ``predict_proba`` (torch and scikit-learn) and from onnxruntime: they lie on
# the diagonal. The differences, of the order of float32's rounding, are
# shown on the right.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.scatter(pipeline.predict_proba(X_test).ravel(), probabilities.ravel(), s=4)
left.plot([0, 1], [0, 1], color="gray", linewidth=0.8)
left.set_xlabel("pipeline.predict_proba")
left.set_ylabel("onnxruntime")
left.set_title("class probabilities of the test digits")
right.hist(difference.ravel(), bins=50, log=True)
right.set_xlabel("absolute difference")
right.set_ylabel("count")
right.set_title("onnxruntime - predict_proba")
fig.tight_layout()
plt.show()
