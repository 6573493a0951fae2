"""Closed-form step responses of the cells, shared by the engine and the exporters."""
from __future__ import annotations

import math

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


def exact_alpha_gain(tau_m, tau_s, cm, dt):
    """Membrane response after one step to a unit of an alpha current's derivative (NEST's P31
    of iaf_psc_alpha): with dI/dt = J - I/tau_s, dJ/dt = -J/tau_s, J(0) = 1, I(0) = V(0) = 0,
    V(dt) = e^(-dt/tau_m) dt^2/cm * f(x)/x^2, x = dt (1/tau_s - 1/tau_m), f(x) = 1 - (1 + x) e^(-x);
    near x = 0 the series of f(x)/x^2 avoids the cancellation."""
    tau_m, tau_s, cm = (np.asarray(a, dtype=float) for a in (tau_m, tau_s, cm))
    x = dt * (1.0 / tau_s - 1.0 / tau_m)
    small = np.abs(x) < 0.1
    xs = np.where(small, x, 0.0)
    series = sum((-1.0) ** k * (k - 1) * xs ** (k - 2) / math.factorial(k) for k in range(2, 14))
    xl = np.where(small, 1.0, x)
    closed = (1.0 - (1.0 + xl) * np.exp(-xl)) / xl ** 2
    return np.exp(-dt / tau_m) * dt ** 2 / cm * np.where(small, series, closed)
