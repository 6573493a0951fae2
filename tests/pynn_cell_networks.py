"""Seeded random networks of one new cell model (IF_curr_alpha, IF_cond_exp, Izhikevich) for the
comparisons with NEST and Brian2 (tests/test_pynn_cells.py): sources, two populations, every
connector with one weight or a weight per pair, inhibition, delays, offset currents and start
values. One entry per model in NETWORKS, so a differential fuzzer can take them as they are."""
import numpy as np

from spikemem import (AllToAllConnector, IFCondExp, IFCurrAlpha, Izhikevich, Network, OneToOneConnector, Population,
                      Projection, Recording, Simulation, SpikeSourceArray)


def _alpha(rng):
    return IFCurrAlpha(cm=float(rng.uniform(0.2, 1.5)), tau_m=float(rng.uniform(3, 30)),
                       tau_syn_E=float(rng.uniform(0.5, 5)), tau_syn_I=float(rng.uniform(0.5, 5)), v_thresh=-55.0,
                       tau_refrac=float(rng.choice([0.0, 1.0, 2.0])),
                       i_offset=float(rng.choice([0.0, rng.uniform(0, 1.0)])), v_init=[None, -60.0][int(rng.integers(2))])


def _cond(rng):
    return IFCondExp(cm=float(rng.uniform(0.2, 1.5)), tau_m=float(rng.uniform(3, 30)),
                     tau_syn_E=float(rng.uniform(0.5, 5)), tau_syn_I=float(rng.uniform(0.5, 10)),
                     e_rev_E=float(rng.uniform(-10, 10)), e_rev_I=float(rng.uniform(-90, -70)), v_thresh=-55.0,
                     tau_refrac=float(rng.choice([0.0, 1.0, 2.0])),
                     i_offset=float(rng.choice([0.0, rng.uniform(0, 1.0)])), v_init=[None, -60.0][int(rng.integers(2))])


def _izh(rng):
    return Izhikevich(a=float(rng.uniform(0.02, 0.1)), b=float(rng.uniform(0.2, 0.26)), c=float(rng.uniform(-65, -50)),
                      d=float(rng.uniform(0.05, 8)), i_offset=float(rng.choice([0.0, rng.uniform(0, 10)])),
                      v_init=float(rng.uniform(-70, -60)), u_init=float(rng.uniform(-16, -12)))


# model -> (cell factory, largest weight: nA, uS or mV)
NETWORKS = {"alpha": (_alpha, 3.0), "cond": (_cond, 0.08), "izhikevich": (_izh, 12.0)}


def random_network(seed: int, model: str, dt: float = 1.0, duration: float = 80.0) -> Network:
    rng = np.random.default_rng(seed)
    make, hi = NETWORKS[model]
    n, m = int(rng.integers(1, 5)), int(rng.integers(1, 5))

    def weight(top, pre, post):        # one weight, or one per pair
        return float(rng.uniform(0.2 * top, top)) if rng.integers(2) else rng.uniform(0.2 * top, top, (pre, post))

    times = tuple(tuple(sorted({float(t) for t in rng.integers(2, int(duration * 0.75), 5)})) for _ in range(n))
    connectors = [AllToAllConnector(), AllToAllConnector(allow_self_connections=False), OneToOneConnector()]
    ab = connectors[int(rng.integers(3))]
    recorded = ("a", "b") if model != "izhikevich" else ()
    return Network(
        [Population("s", n, SpikeSourceArray(times)), Population("a", m, make(rng)), Population("b", m, make(rng))],
        [Projection("sa", "s", "a", AllToAllConnector(), weight(hi, n, m), float(rng.integers(1, 3))),
         Projection("ab", "a", "b", ab, float(rng.uniform(0.2 * hi, hi)), float(rng.integers(1, 4))),
         Projection("ba", "b", "a", AllToAllConnector(allow_self_connections=m == 1), weight(hi / 2, m, m), 1.0,
                    "inhibitory")],
        Simulation(dt=dt, scheme="exact"),
        Recording(spikes=("a", "b"), v=("a", "b"), gsyn_exc=recorded, gsyn_inh=recorded))
