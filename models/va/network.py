"""The Vogels-Abbott network: 4,000 LIF cells, 80 % excitatory and 20 % inhibitory, each pair
connected with probability 2 %, in a conductance (COBA, IF_cond_exp) and a current (CUBA,
IF_curr_exp) version.

Parameters are the published ones (Brette et al. 2007, J Comput Neurosci 23:349, benchmarks 1 and
2, after Vogels & Abbott 2005, as PyNN's and NEST's benchmark scripts use them): membrane area
20,000 um^2 at 1 uF/cm^2 (cm = 0.2 nF) and tau_m = 20 ms; threshold -50 mV, reset -60 mV,
refractory 5 ms; tau_syn 5 ms (exc) and 10 ms (inh); reversal 0 and -80 mV. COBA: rest -60 mV,
weights 4 nS and 51 nS. CUBA: rest -49 mV (above threshold: the network drives itself) and the
conductances 0.27 nS and 4.5 nS turned into currents at a mean potential of -60 mV. Delays
0.2 ms at dt = 0.1 ms. Initial V uniform in [reset, threshold]. Activity starts from 20 Poisson
sources at 100 Hz for 50 ms, each connected with probability 1 % and weight 0.1 uS (CUBA: the
same conductance at -60 mV, 6 nA), from 1 ms on (pyNN.nest takes no source spike before 2 steps).
"""
from __future__ import annotations

from spikemem import (FixedProbabilityConnector, IFCondExp, IFCurrExp, Network, Population, Projection,
                      RandomDistribution, Recording, Simulation, SpikeSourcePoisson)
from spikemem.errors import ValidationError

KINDS = ("coba", "cuba")
N = 4000
P_CONNECT = 0.02
DT, DELAY = 0.1, 0.2                      # ms
V_MEAN, E_EXC, E_INH = -60.0, 0.0, -80.0  # mV
CELL = dict(cm=0.2, tau_m=20.0, tau_syn_E=5.0, tau_syn_I=10.0, v_thresh=-50.0, v_reset=-60.0, tau_refrac=5.0)
G_EXC = {"coba": 4.0, "cuba": 0.27}        # nS
G_INH = {"coba": 51.0, "cuba": 4.5}        # nS
V_REST = {"coba": -60.0, "cuba": -49.0}    # mV
STIM = dict(size=20, rate=100.0, start=1.0, duration=50.0, p_connect=0.01, g=0.1)   # Hz, ms, ms, -, uS


def weights(kind: str) -> tuple:
    """(excitatory, inhibitory, stimulus) weights: uS for COBA, nA for CUBA (g (E_rev - V_MEAN))."""
    if kind == "coba":
        return G_EXC[kind] * 1e-3, G_INH[kind] * 1e-3, STIM["g"]
    return (G_EXC[kind] * 1e-3 * (E_EXC - V_MEAN), G_INH[kind] * 1e-3 * (V_MEAN - E_INH),
            STIM["g"] * (E_EXC - V_MEAN))


def va_network(kind: str = "coba", n: int = N, p_connect: float | None = None, seed: int = 1,
               scheme: str = "exact") -> Network:
    """The network with n cells (n // 5 inhibitory). p_connect=None keeps the benchmark's 80
    inputs per cell (0.02 * 4000 / n), so a smaller network fires as the full one does; the
    stimulus's probability scales likewise. One seed fixes synapses, initial V and the stimulus."""
    if kind not in KINDS:
        raise ValidationError("kind", kind, f"must be one of {list(KINDS)}")
    if not isinstance(n, int) or isinstance(n, bool) or n < 5:
        raise ValidationError("n", n, "must be an integer >= 5 (a fifth of the cells are inhibitory)")
    scale = N / n
    p = P_CONNECT * scale if p_connect is None else p_connect
    if not 0 < p <= 1:
        raise ValidationError("p_connect", p, f"must lie in (0, 1] (n={n} keeps 80 inputs only from n >= 80)")
    n_inh = n // 5
    v_init = RandomDistribution("uniform", low=CELL["v_reset"], high=CELL["v_thresh"], seed=seed)
    if kind == "coba":
        cell = IFCondExp(v_rest=V_REST[kind], e_rev_E=E_EXC, e_rev_I=E_INH, v_init=v_init, **CELL)
    else:
        cell = IFCurrExp(v_rest=V_REST[kind], v_init=v_init, **CELL)
    w_exc, w_inh, w_stim = weights(kind)
    stim = SpikeSourcePoisson(rate=STIM["rate"], start=STIM["start"], duration=STIM["duration"], seed=seed)
    pops = [Population("exc", n - n_inh, cell), Population("inh", n_inh, cell), Population("stim", STIM["size"], stim)]
    p_stim = min(1.0, STIM["p_connect"] * scale)

    def proj(name, pre, post, prob, w, receptor="excitatory"):
        return Projection(name, pre, post, FixedProbabilityConnector(prob, seed=seed), weight=w, delay=DELAY,
                          receptor=receptor)
    projs = [proj("e2e", "exc", "exc", p, w_exc), proj("e2i", "exc", "inh", p, w_exc),
             proj("i2e", "inh", "exc", p, w_inh, "inhibitory"), proj("i2i", "inh", "inh", p, w_inh, "inhibitory"),
             proj("s2e", "stim", "exc", p_stim, w_stim), proj("s2i", "stim", "inh", p_stim, w_stim)]
    return Network(pops, projs, Simulation(dt=DT, scheme=scheme), Recording(spikes=("exc", "inh")),
                   name=f"va_{kind}_{n}")
