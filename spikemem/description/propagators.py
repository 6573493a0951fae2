"""Closed-form step responses of the cells, shared by the engine and the exporters."""
from __future__ import annotations

import numpy as np


def exact_current_gain(tau_m, tau_s, cm, dt):
    """Membrane response after one step to a unit current decaying with tau_s (NEST's P21)."""
    same = np.isclose(tau_m, tau_s)
    ts = np.where(same, tau_s * (1 + 1e-9), tau_s)
    gain = tau_m * ts / (cm * (ts - tau_m)) * (np.exp(-dt / ts) - np.exp(-dt / tau_m))
    return np.where(same, dt / cm * np.exp(-dt / tau_m), gain)


def spinnaker_init(tau_s, dt):
    """sPyNNaker's scale of an arriving weight, so that a step holds the mean of the decaying current."""
    tau_s = np.asarray(tau_s, dtype=float)
    return (tau_s / dt) * (1.0 - np.exp(-dt / tau_s))
