"""How sPyNNaker 7.4 turns real-valued weights into a SpiNNaker core's 16-bit ones (docs/fixed_point.md).

Each IF population gets one ring-buffer left shift per synapse type (excitatory, inhibitory),
picked from the statistics of every projection into it, as
spynnaker/pyNN/models/neuron/population_vertex.py (PopulationVertex.get_ring_buffer_shifts
and its _Stats helper) does it for the explicit connection lists spikemem lowers every
projection to; a weight w then becomes the 16-bit integer rint(|w| * 2^(15 - shift)),
wrapped to 16 bits as synapse_dynamics_static.py / synapse_dynamics_stdp.py store it.
Defaults are spynnaker.cfg's: spikes_per_second = 30, ring_buffer_sigma = 5.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..description import realisation

SPIKES_PER_SECOND = 30.0          # spynnaker.cfg [Simulation] spikes_per_second
RING_BUFFER_SIGMA = 5.0           # spynnaker.cfg [Simulation] ring_buffer_sigma
POISSON_SIGMA_SUMMATION_LIMIT = 3.0   # spynnaker/pyNN/utilities/constants.py
SYNAPSE_TYPES = ("excitatory", "inhibitory")
# input_type_conductance.py (get_global_weight_scale): conductances are written 1024 times larger
# and the core shifts them down by 10 bits (input_type_conductance.h)
GLOBAL_WEIGHT_SCALE = {"IF_cond_exp": 1024.0}


def global_weight_scale(cell) -> float:
    """sPyNNaker's global weight scale of a cell type (1024 for conductances, else 1)."""
    return GLOBAL_WEIGHT_SCALE.get(cell.kind, 1.0)


def board_weight_factor(cell, receptor: str) -> float:
    """sPyNNaker's weight per description weight: IF_curr_alpha's synapse takes the charge of
    its current, e tau_syn times the peak the description gives (docs/cells.md); else 1."""
    if cell.kind == "IF_curr_alpha":
        return math.e * (cell.tau_syn_E if receptor == "excitatory" else cell.tau_syn_I)
    return 1.0


def board_scale(cell, receptor: str) -> float:
    """16-bit units per description weight, before the shift: the two factors above together."""
    return board_weight_factor(cell, receptor) * global_weight_scale(cell)


def neuron_weight_factors(pop, receptor: str) -> np.ndarray:
    """board_weight_factor of every neuron of a population: IF_curr_alpha's tau_syn may be given
    per neuron (a tuple or a distribution, realised as everywhere else)."""
    if pop.cell.kind == "IF_curr_alpha":
        return math.e * realisation.neuron_values(pop, "tau_syn_E" if receptor == "excitatory" else "tau_syn_I")
    return np.ones(pop.size)


def neuron_board_scales(pop, receptor: str) -> np.ndarray:
    """board_scale of every neuron of a population."""
    return neuron_weight_factors(pop, receptor) * global_weight_scale(pop.cell)


@dataclass(frozen=True)
class ProjectionStats:
    """What sPyNNaker reads from one projection's connection list to size its post's ring buffers."""

    name: str
    pre: str
    post: str
    receptor: str
    n_conns: int        # the most connections onto one post neuron
    w_mean: float
    w_var: float
    w_max: float
    d_var: float        # variance of the delays in ms


class _RunningStats:
    """Mean and variance merged from groups given as (mean, sample variance, count), in the
    order sPyNNaker merges them (spynnaker/pyNN/utilities/running_stats.py)."""

    def __init__(self):
        self.mean, self.m2, self.n = 0.0, 0.0, 0

    def add(self, mean: float, variance: float, n: int) -> None:
        if n <= 0:
            return
        total = self.n + n
        delta = mean - self.mean
        new_mean = ((self.n * self.mean) + (n * mean)) / total
        self.m2 = self.m2 + variance * (n - 1.0) + (delta * delta * self.n * n) / total
        self.n, self.mean = total, new_mean

    @property
    def variance(self) -> float:
        return 0.0 if self.n <= 1 else self.m2 / (self.n - 1.0)


def _largest(factors: np.ndarray) -> float:
    """The largest of a population's per-neuron factors (an override in description units is
    sized for the neuron whose board weights are largest)."""
    return float(factors.max()) if len(factors) else 1.0


def projection_stats(net) -> list:
    """ProjectionStats of every projection with at least one synapse, in the order sPyNNaker
    adds them to the post vertex: grouped by pre population (first appearance), then in order."""
    out = []
    for pr in net.projections:
        pre_size, post_size = net.population(pr.pre).size, net.population(pr.post).size
        _, post, w, d = pr.connections(pre_size, post_size, net.simulation.dt)
        if not len(post):
            continue
        factor = neuron_weight_factors(net.population(pr.post), pr.receptor)    # the weights sPyNNaker gets
        w = np.abs(w) * factor[post]
        n_conns = int(np.bincount(post).max())
        if pr.plasticity is None:
            w_mean, w_var, w_max = float(np.mean(w)), float(np.var(w)), float(np.max(w))
        else:   # STDP may drive every weight to w_max: sPyNNaker sizes for that (synapse_dynamics_stdp.py)
            w_max = max(float(np.max(w)), float(pr.plasticity.w_max) * float(factor.max()))
            w_mean, w_var = w_max, 0.0
        out.append(ProjectionStats(pr.name, pr.pre, pr.post, pr.receptor, n_conns, w_mean, w_var, w_max,
                                   float(np.var(d))))
    rank = {}
    for s in out:
        rank.setdefault((s.post, s.pre), len(rank))
    return sorted(out, key=lambda s: rank[(s.post, s.pre)])


def _upper_bound(mean: float, std: float, rate: float, n: int, sigma: float, steps_per_s: float) -> float:
    """Expected upper bound of one ring-buffer entry under Poisson input (population_vertex.py,
    _Stats._ring_buffer_expected_upper_bound). The regularised upper incomplete gamma of an
    integer order is the Poisson tail sum, computed directly."""
    avg = float(n * rate) / steps_per_s
    poisson_variance = avg * mean ** 2
    upper = int(round(avg + POISSON_SIGMA_SUMMATION_LIMIT * math.sqrt(avg)))
    weight_variance = 0.0
    if std > 0:
        lngamma = math.lgamma(1 + upper)
        term, tail = 1.0, 1.0
        for k in range(1, upper + 1):
            term *= avg / k
            tail += term
        gammai = math.exp(-avg) * tail
        big_ratio = math.log(avg) * upper - lngamma
        if -701.0 < big_ratio < 701.0 and big_ratio != 0.0:
            log_wv = (-avg + math.log(avg) + 2.0 * math.log(std)
                      + math.log(math.exp(avg) * gammai - math.exp(big_ratio)))
            weight_variance = math.exp(log_wv)
    return avg * mean + sigma * math.sqrt(poisson_variance + weight_variance)


def max_summed_weights(net, stats=None) -> dict:
    """{population: [exc, inh]}: the largest input per step each ring buffer is sized for, in
    sPyNNaker's units (nA; conductances x 1024 as its global weight scale; population_vertex.py
    _Stats: the sum over projections is not scaled, the mean, spread and largest weight are)."""
    dt = net.simulation.dt
    steps_per_s = 1_000_000 / round(dt * 1000)
    spikes_per_tick = max(1.0, SPIKES_PER_SECOND / steps_per_s)
    stats = projection_stats(net) if stats is None else stats
    out = {}
    for pop in net.populations:
        if pop.is_source:
            continue
        gws = global_weight_scale(pop.cell)
        override = pop.max_expected_summed_weight
        if override is not None:
            out[pop.name] = [float(x) * _largest(neuron_weight_factors(pop, r)) * gws for x, r in zip(override, SYNAPSE_TYPES)]
            continue
        maxes = []
        for receptor in SYNAPSE_TYPES:
            mine = [s for s in stats if s.post == pop.name and s.receptor == receptor]
            totals, delays, rates = _RunningStats(), _RunningStats(), _RunningStats()
            total, biggest = 0.0, 0.0
            for s in mine:
                totals.add(s.w_mean * gws, s.w_var * gws ** 2, s.n_conns)
                delays.add(0.0, s.d_var, s.n_conns)
                rates.add(SPIKES_PER_SECOND, 0.0, s.n_conns)
                biggest = max(biggest, s.w_max * gws)
                total += spikes_per_tick * (s.w_max * s.n_conns)    # not scaled: sPyNNaker 7.4's _Stats sums it so
            if delays.variance == 0.0:
                maxes.append(max(total, biggest))
                continue
            w = _upper_bound(totals.mean, math.sqrt(totals.variance), rates.mean, totals.n, RING_BUFFER_SIGMA,
                             steps_per_s)
            maxes.append(max(min(w, total), biggest))
        out[pop.name] = maxes
    return out


def shift_for(max_weight: float) -> int:
    """The left shift whose 16-bit range just holds max_weight (get_ring_buffer_shifts)."""
    if max_weight <= 0:
        return 0
    p = int(math.ceil(max(0.0, math.log2(max_weight))))
    return p + 1 if 2 ** p <= max_weight else p


def ring_buffer_shifts(net) -> dict:
    """{population: (exc shift, inh shift)} as sPyNNaker 7.4 computes them."""
    return {name: tuple(shift_for(w) for w in ws) for name, ws in max_summed_weights(net).items()}


def weight_scale(shift: int) -> float:
    """16-bit units per nA: 2^(16 - (shift + 1)) (population_vertex.py, __get_weight_scale)."""
    return float(2.0 ** (16 - (shift + 1)))


def quantise(weights, shift, scale=1.0) -> np.ndarray:
    """The 16-bit integers sPyNNaker writes for |weights| x scale (board_scale; rint of the
    scaled value, wrapped to 16 bits)."""
    step = np.power(2.0, 15 - np.asarray(shift, dtype=np.int64))
    return np.rint(np.abs(np.asarray(weights, dtype=float)) * scale * step).astype(np.int64) & 0xFFFF
