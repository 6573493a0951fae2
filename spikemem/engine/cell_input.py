"""Input for library neuron cells that keep one synaptic current (snnTorch, Norse).

Such a cell sees exc - inh as one current, so the network must share tau_syn between
receptors; under the 'exact' scheme input arriving at step t moves V only from t + 1 on.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedFeature


def require_lif(c, library: str) -> None:
    """A library cell is a LIF: refuse the other neuron models by name (their feature)."""
    from ..description.features import FEATURES
    feature = {"cond": "cell.cond_exp", "alpha": "cell.alpha", "izh": "cell.izhikevich"}
    for m in c.models or ():
        if m.kind != "lif":
            raise UnsupportedFeature(f"{m.populations[0]}.cell: the {library} cell is a LIF with current synapses; "
                                     f"it has no {FEATURES[feature[m.kind]]} ({feature[m.kind]})")


def require_single_tau_syn(c, library: str) -> None:
    n = c.n_if
    if not np.allclose(c.params["decay"][:n], c.params["decay"][n:], rtol=1e-12, atol=0):
        raise UnsupportedFeature(f"tau_syn_I != tau_syn_E: the {library} cell has one synaptic current per neuron")


class SignedInput:
    """gain * (exc - inh) of the input arriving this step, one step late under 'exact'
    except for IFCurrDelta neurons (`now`: their flat params["direct"]), whose input lands
    in its arrival step under both schemes (docs/nir.md, "IFCurrDelta")."""

    def __init__(self, c, gain, zeros, now=None):
        self.n, self.gain = c.n_if, gain
        self.delayed = zeros if c.scheme == "exact" else None
        self.now = now if self.delayed is not None and c.params["direct"].any() else None

    def __call__(self, arrived):
        x = (arrived[:, :self.n] - arrived[:, self.n:]) * self.gain
        if self.delayed is not None:
            if self.now is None:
                x, self.delayed = self.delayed, x
            else:
                x, self.delayed = self.delayed + x * self.now, x * (1.0 - self.now)
        return x
