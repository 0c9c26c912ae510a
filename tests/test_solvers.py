"""The solvers, and the rule by which a saved solver state continues."""

import numpy as np
import pytest
import torch

from skdae._dae import layer_module
from skdae._solvers import resume
from skdae._training import TrainingOptions

from .conftest import small_dae

pytestmark = pytest.mark.usefixtures("quiet_convergence")

CPU = torch.device("cpu")


def test_a_resumed_solver_keeps_its_state_but_takes_the_new_settings(small_data):
    dae = small_dae().fit(small_data)
    module = layer_module(dae, CPU)
    dae.set_params(learning_rate_init=0.5)
    fresh = module.make_solver(TrainingOptions.of(dae))
    solver = resume(fresh, dae._optimizer_state, CPU)
    # Three epochs of two batches (32 and 28 of the 60 rows).
    assert int(solver.state_dict()["state"][0]["step"]) == 3 * 2
    assert {group["lr"] for group in solver.param_groups} == {0.5}
    # Another solver starts afresh.
    other = module.make_solver(TrainingOptions.of(dae.set_params(solver="sgd")))
    assert not resume(other, dae._optimizer_state, CPU).state


def test_a_state_saved_for_other_shapes_is_set_aside(small_data):
    # A state made for the transposed weights of the sparse path, or for
    # another model, must not be loaded into this one's moments.
    dae = small_dae().fit(small_data)
    saved = dae._optimizer_state
    transposed = {
        "param_groups": saved["param_groups"],
        "state": {
            index: {
                name: value.T if getattr(value, "ndim", 0) == 2 else value
                for name, value in buffers.items()
            }
            for index, buffers in saved["state"].items()
        },
    }
    module = layer_module(dae, CPU)
    options = TrainingOptions.of(dae)
    assert resume(module.make_solver(options), saved, CPU).state
    assert not resume(module.make_solver(options), transposed, CPU).state
    assert np.shape(saved["state"][0]["exp_avg"]) == dae.components_.shape
