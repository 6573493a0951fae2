"""Weights read from NEST at the end of a run, completed with the potentiation NEST still owes.

NEST's stdp_synapse potentiates a synapse for the post events since its last pre spike only
when the next pre spike comes, so the weights read at the end lack the potentiation of post
events after each synapse's last pre spike. The description applies it at the post event
(docs/stdp.md, section 2). With additive steps and an upper bound only, per-event clipping of
those potentiations equals one clip of their sum, so the owed part is, per synapse i -> j,
min(w + A_plus K_i sum_T exp(-(T - L_i) / tau_plus), w_max) over the post events T of j with
L_i < T < steps, where L_i is i's last pre spike and K_i its pre trace just after it. Multiplicative
steps complete as w_max - (w_max - w) prod(1 - A_plus K_i exp(...)) (_multiplicative).
"""
from __future__ import annotations

import numpy as np

from .zero_pairs import post_lag

CHUNK = 4096            # post events per block (memory: CHUNK x pre neurons floats)


def owed(network, profile) -> list:
    """The plastic projections with recorded weights that this simulator reads short of their
    owed potentiation."""
    if not profile.defers_potentiation:
        return []
    return [pr for pr in map(network.projection, network.recording.weights) if pr.plasticity is not None]


def complete(w, projection, dt: float, steps: int, pre, post):
    """w (pre, post) as the simulator holds it, with the owed potentiation added; `pre` and
    `post` are one trial's (step, neuron) spike arrays."""
    rule = projection.plasticity
    n_pre = w.shape[0]
    lag = post_lag(projection, dt)
    s_pre, i_pre = (np.asarray(a, dtype=np.int64) for a in pre)
    last = np.full(n_pre, -1, dtype=np.int64)
    np.maximum.at(last, i_pre, s_pre)
    fired = last >= 0
    trace = np.zeros(n_pre)
    np.add.at(trace, i_pre, np.exp(-(last[i_pre] - s_pre) * dt / rule.tau_plus))   # K_i just after L_i
    t_ev, j_ev = np.asarray(post[0], dtype=np.int64) + lag, np.asarray(post[1], dtype=np.int64)
    keep = (t_ev < steps) & (t_ev > (last[fired].min() if fired.any() else steps))
    t_ev, j_ev = t_ev[keep], j_ev[keep]
    owed = np.zeros(w.shape)
    for lo in range(0, len(t_ev), CHUNK):
        t, j = t_ev[lo:lo + CHUNK], j_ev[lo:lo + CHUNK]
        gap = t[:, None] - last[None, :]                        # (events, pre) steps since L_i
        contrib = np.where(fired[None, :] & (gap > 0), np.exp(-np.maximum(gap, 0) * dt / rule.tau_plus), 0.0)
        np.add.at(owed.T, j, contrib)
    if rule.weight_dependence == "multiplicative":
        return _multiplicative(w, rule, trace, last, fired, t_ev, j_ev, dt)
    return np.minimum(w + rule.A_plus * trace[:, None] * owed, rule.w_max)


def _multiplicative(w, rule, trace, last, fired, t_ev, j_ev, dt):
    """Multiplicative steps w += A_plus (w_max - w) c, in any order, leave w_max - (w_max - w) prod(1 -
    A_plus c); a step with A_plus c >= 1 reaches w_max, where the clip keeps it."""
    keep = np.ones(w.shape)
    for lo in range(0, len(t_ev), CHUNK):
        t, j = t_ev[lo:lo + CHUNK], j_ev[lo:lo + CHUNK]
        gap = t[:, None] - last[None, :]
        c = np.where(fired[None, :] & (gap > 0), np.exp(-np.maximum(gap, 0) * dt / rule.tau_plus), 0.0)
        np.multiply.at(keep.T, j, np.maximum(1.0 - rule.A_plus * trace[None, :] * c, 0.0))
    return np.minimum(rule.w_max - (rule.w_max - w) * keep, rule.w_max)
