"""Random networks over the whole description space, for the differential fuzzer (issue 20).

`networks(vocab)` draws (network, duration): 1-2 sources, 1-3 neuron populations, 1-4
projections, in a quarter of them 1-3 current injections, each choice from `vocab`, a set of
feature names. FULL is everything spikemem describes; OLD is the 0.1 vocabulary (IFCurrExp, IFCurrDelta, SpikeSourceArray, three
connectors, additive STDP), so the same strategy runs on code that knows nothing else (it
imports only what the vocabulary names). Values are drawn where the cells fire: weights scale
with the post cell's unit, source times sit on the dt grid, often coincident, repeated or at
the run's end, the corners where backends were seen to part.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

OLD = frozenset({
    "cell.exp", "cell.delta", "source.array", "source.array.early", "source.array.coincident", "source.array.repeated",
    "source.array.at_end", "stdp.conventions", "stdp.a_plus_zero", "stdp.clipping", "connector.one_to_one", "connector.all_to_all", "connector.from_list",
    "weight.scalar", "weight.per_synapse", "delay.scalar", "delay.per_synapse", "stdp.additive", "stdp.fields",
    "stdp.gate", "dt.1", "dt.0.1", "scheme.exact", "scheme.spinnaker", "numerics.fixed", "cell.i_offset",
    "cell.v_init", "receptor.inhibitory", "delay.long", "stdp.zero_pairs",
})
NEW = frozenset({
    "cell.cond_exp", "cell.alpha", "cell.izhikevich", "source.poisson", "connector.fixed_probability",
    "connector.fixed_number_pre", "connector.fixed_number_post", "connector.fixed_total_number",
    "weight.distribution", "delay.distribution", "stdp.multiplicative", "connector.convolution",
    "current.dc", "current.step", "current.ac", "current.noisy", "weight.strong_conductance",
})
CURRENTS = {"DCSource": "current.dc", "StepCurrentSource": "current.step", "ACSource": "current.ac",
            "NoisyCurrentSource": "current.noisy"}
FULL = OLD | NEW

CELLS = ("exp", "delta", "cond_exp", "alpha", "izhikevich")
WEIGHT = {"exp": 2.5, "delta": 8.0, "cond_exp": 0.08, "alpha": 2.5, "izhikevich": 12.0}   # nA, mV, uS, nA, mV


def _u(draw, lo, hi, places=3):
    return round(draw(st.floats(lo, hi, allow_nan=False)), places)


def _cell(draw, kind):
    import spikemem as sm
    i_off = draw(st.sampled_from([0.0, 0.0, _u(draw, 0.05, 1.0)])) if "cell.i_offset" in draw.vocab else 0.0
    i_off = i_off or (_u(draw, 0.3, 1.0) if draw.self_driven else 0.0)
    if kind == "izhikevich":
        return sm.Izhikevich(a=_u(draw, 0.02, 0.1), b=_u(draw, 0.2, 0.26), c=_u(draw, -65, -50), d=_u(draw, 0.05, 8),
                             i_offset=i_off * 10, v_init=_u(draw, -70, -60), u_init=_u(draw, -16, -12))
    common = dict(cm=_u(draw, 0.2, 1.2), tau_m=_u(draw, 3, 30), v_rest=-65.0, v_reset=draw(st.sampled_from([-65.0, -70.0])),
                  v_thresh=-55.0, tau_refrac=draw(st.sampled_from([0.0, 0.1, 1.0, 2.0])), i_offset=i_off,
                  v_init=draw(st.sampled_from([None, -60.0])) if "cell.v_init" in draw.vocab else None)
    if kind == "delta":
        return sm.IFCurrDelta(**common)
    syn = dict(tau_syn_E=_u(draw, 0.5, 5), tau_syn_I=_u(draw, 0.5, 5))
    if kind == "exp":
        return sm.IFCurrExp(**syn, **common)
    if kind == "alpha":
        return sm.IFCurrAlpha(**syn, **common)
    return sm.IFCondExp(**syn, e_rev_E=0.0, e_rev_I=-80.0, **common)


def _times(draw, size, duration, dt):
    """One train per neuron on the dt grid; coincident, repeated and end-of-run times when the vocabulary has them."""
    v = draw.vocab
    steps = int(round(duration / dt))
    grid = st.integers(0 if "source.array.early" in v else 2, steps - 1).map(lambda k: round(k * dt, 6))
    trains = [sorted(draw(st.lists(grid, max_size=5, unique="source.array.repeated" not in v))) for _ in range(size)]
    if "source.array.coincident" in v and size > 1 and (size > 4 or draw(st.booleans())):
        shared = draw(st.lists(grid, min_size=1, max_size=3, unique=True))
        trains = [sorted(set(tr) | set(shared)) for tr in trains]
    if "source.array.repeated" in v and draw(st.integers(0, 3)) == 0:
        i = draw(st.integers(0, size - 1))
        t = draw(grid)
        trains[i] = sorted(trains[i] + [t, t])
    if "source.array.at_end" in v and draw(st.integers(0, 4)) == 0:
        trains[draw(st.integers(0, size - 1))].append(round(duration, 6))
    return tuple(tuple(tr) for tr in trains)


def _source(draw, size, duration, dt):
    import spikemem as sm
    if "source.poisson" in draw.vocab and draw(st.integers(0, 3)) == 0:
        return sm.SpikeSourcePoisson(rate=_u(draw, 20, 300), start=float(draw(st.integers(0, 5))),
                                     duration=draw(st.sampled_from([math.inf, round(duration / 2, 6)])),
                                     seed=draw(st.integers(0, 2**31)))
    return sm.SpikeSourceArray(_times(draw, size, duration, dt))


def _dist(draw, lo, hi):
    from spikemem import RandomDistribution
    return RandomDistribution("uniform", low=lo, high=hi, seed=draw(st.integers(0, 1000)))


def _connector(draw, n_pre, n_post, self_ok):
    """(connector, synapse count or None when the connector draws its own)."""
    import spikemem as sm
    kinds = [k for k in ("one_to_one", "all_to_all", "from_list", "fixed_probability", "fixed_number_pre",
                         "fixed_number_post", "fixed_total_number") if f"connector.{k}" in draw.vocab]
    if n_pre != n_post:
        kinds = [k for k in kinds if k != "one_to_one"]
    kind = draw(st.sampled_from(kinds))
    seed = draw(st.integers(0, 2**31))
    if kind == "one_to_one":
        return sm.OneToOneConnector(), n_pre
    if kind == "all_to_all":
        allow = draw(st.booleans()) or not self_ok
        return sm.AllToAllConnector(allow_self_connections=allow), (n_pre * n_post if allow else None)
    if kind == "from_list":
        pairs = draw(st.lists(st.tuples(st.integers(0, n_pre - 1), st.integers(0, n_post - 1)), min_size=1, max_size=6,
                              unique=True))
        return sm.FromListConnector(tuple(sorted(pairs))), len(pairs)
    allow = draw(st.booleans())
    if kind == "fixed_probability":
        return sm.FixedProbabilityConnector(_u(draw, 0.2, 1.0), allow, seed), None
    n = draw(st.integers(1, 4))
    cls = {"fixed_number_pre": sm.FixedNumberPreConnector, "fixed_number_post": sm.FixedNumberPostConnector,
           "fixed_total_number": sm.FixedTotalNumberConnector}[kind]
    return cls(n, allow, draw(st.booleans()), seed), None


def _value(draw, hi, n, kind, dt):
    """A weight (kind 'weight') or delay: one number, one per synapse, or a distribution."""
    v = draw.vocab
    forms = ["scalar"] + (["per_synapse"] * 2 if n and f"{kind}.per_synapse" in v else []) + \
        (["distribution"] if f"{kind}.distribution" in v else [])
    form = draw(st.sampled_from(forms))
    if kind == "weight":
        one = st.floats(0.2 * hi, hi).map(lambda x: round(x, 4))
        if form == "distribution":
            return _dist(draw, 0.2 * hi, hi)
    else:
        top = 14 if "delay.long" in v and draw(st.integers(0, 5)) == 0 else 4
        one = st.integers(1, int(round(top / dt))).map(lambda k: round(k * dt, 6))
        if form == "distribution":
            return _dist(draw, dt, 3.0)
    if form == "per_synapse":
        w = np.array(draw(st.lists(one, min_size=n, max_size=n)))
        if kind == "weight" and draw(st.integers(0, 2)) == 0:        # many magnitudes: sums round by order
            w = w * 10.0 ** np.array(draw(st.lists(st.integers(-6, 0), min_size=n, max_size=n)))
        return w
    return draw(one)


def _zero_pairs(draw, pops, projs, plastic):
    """F6's corner (NEST's dt = 0 check): a teacher makes z_post fire; z_pre's neurons spike one step
    apart around that post event plus the delay, so one pre spike meets it at dt = 0, which
    depress_at_zero=True depresses and NEST's stdp_synapse does not. The weights then differ for a
    while (z_post's V with them, its spikes not: the plastic weight is far below threshold), until
    a last pairing saturates them at w_max (A_plus above the range) or at w_min (A_minus above it),
    so the final weights agree again. Returns the post population's name (its V is recorded)."""
    import spikemem as sm
    from spikemem import STDP
    dt = draw.dt
    k = lambda x: round(x * dt, 6)                                   # steps -> ms
    d_t, d_p = draw(st.integers(1, 3)), draw(st.integers(1, 3))      # delays in steps
    t0 = draw(st.integers(2, 6))
    lag = d_t + (1 if dt == 1.0 else 6)                              # teacher spike -> post spike, about
    n_pre = 4 if dt == 1.0 else 8                                    # one step apart: covers the lag's spread
    first = [t0 + lag + d_p + i - n_pre // 2 for i in range(n_pre)]  # around the post event + the delay
    gap = draw(st.integers(3, 6)) * (1 if dt == 1.0 else 10)
    end = draw(st.sampled_from(["w_max", "w_min"]))
    t1 = max(first) + gap                                            # the saturating pairing
    if end == "w_max":       # pre before post: every weight potentiated past w_max
        pre_last, teach_last = t1, t1 + draw(st.integers(0, 2))
    else:                    # post before pre: every weight depressed past w_min
        teach_last = t1
        pre_last = t1 + lag + d_p + gap // 2
    trains = tuple((k(f), k(pre_last)) for f in first)
    w_max = round(_u(draw, 0.2, 0.5) * 4 / n_pre, 4)                 # all of z_pre together stay below threshold
    rule = STDP(tau_plus=_u(draw, 10, 20), tau_minus=_u(draw, 10, 20),
                A_plus=round(w_max * (_u(draw, 2.0, 3.0) if end == "w_max" else _u(draw, 0.05, 0.3)), 4),
                A_minus=round(w_max * (_u(draw, 0.1, 0.4) if end == "w_max" else _u(draw, 3.0, 4.0)), 4),
                w_min=0.0, w_max=w_max, depress_at_zero=True)
    pops += [sm.Population("z_pre", n_pre, sm.SpikeSourceArray(trains)),
             sm.Population("z_teach", 1, sm.SpikeSourceArray(((k(t0), k(teach_last)),))),
             sm.Population("z_post", 1, sm.IFCurrExp(cm=_u(draw, 0.7, 1.0), tau_m=_u(draw, 10, 20), tau_syn_E=_u(draw, 1, 3),
                                                     tau_refrac=draw(st.sampled_from([1.0, 2.0]))))]
    projs += [sm.Projection("z_teach", "z_teach", "z_post", sm.AllToAllConnector(), _u(draw, 30, 50), k(d_t)),
              sm.Projection("z_stdp", "z_pre", "z_post", sm.AllToAllConnector(), round(w_max * _u(draw, 0.3, 0.7), 4),
                            k(d_p), plasticity=rule)]
    plastic.append("z_stdp")
    return "z_post"


def _amplitude(draw, scale):
    """A current (nA): mostly where the cell fires (either sign), sometimes of an extreme magnitude."""
    a = _u(draw, 0.05, 2.0) * scale * draw(st.sampled_from([1, 1, 1, -1]))
    if draw(st.integers(0, 3)) == 0:
        a *= 10.0 ** draw(st.integers(-6, 2))
    return float(a)


def _currents(draw, cells, size, duration, dt):
    """1-3 injections of the vocabulary's kinds into neuron populations (all or some of their
    neurons), times on the dt grid, a noise dt of None or a multiple of dt."""
    from spikemem.description.current_sources import (ACSource, CurrentInjection, DCSource, NoisyCurrentSource,
                                                      StepCurrentSource)
    kinds = [k for k, f in CURRENTS.items() if f in draw.vocab]
    steps = int(round(duration / dt))
    at = lambda k: round(k * dt, 6)
    out = []
    for _ in range(draw(st.integers(1, 3))):
        pop = draw(st.sampled_from(sorted(cells)))
        scale = 10.0 if cells[pop] == "izhikevich" else 0.1 if cells[pop] == "cond_exp" else 1.0
        kind = draw(st.sampled_from(kinds))
        lo = 0 if draw(st.integers(0, 3)) == 3 else min(3, steps - 1)   # NEST wants 3 steps where not at rest
        start = draw(st.integers(lo, steps - 1))
        window = dict(start=at(start), stop=draw(st.sampled_from([math.inf, at(draw(st.integers(start, steps)))])))
        if kind == "DCSource":
            src = DCSource(_amplitude(draw, scale), **window)
        elif kind == "StepCurrentSource":
            ks = sorted(draw(st.lists(st.integers(lo, steps), min_size=1, max_size=4, unique=True)))
            src = StepCurrentSource(tuple(at(k) for k in ks),
                                    tuple(draw(st.sampled_from([0.0, _amplitude(draw, scale)])) for _ in ks))
        elif kind == "ACSource":
            src = ACSource(_amplitude(draw, scale), offset=draw(st.sampled_from([0.0, _amplitude(draw, scale)])),
                           frequency=_u(draw, 0.0, 500.0), phase=_u(draw, -180.0, 360.0), **window)
        else:
            src = NoisyCurrentSource(mean=draw(st.sampled_from([0.0, _amplitude(draw, scale)])),
                                     stdev=abs(_amplitude(draw, scale)), seed=draw(st.integers(0, 2**40)),
                                     dt=draw(st.sampled_from([None, at(draw(st.integers(1, 5)))])), **window)
        n = size[pop]
        neurons = None
        if n > 1 and draw(st.booleans()):
            neurons = tuple(sorted(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))))
        out.append(CurrentInjection(src, pop, neurons))
    return out


def _stdp(draw, w, hi, gate):
    from spikemem import STDP
    v = draw.vocab
    mult = "stdp.multiplicative" in v and draw(st.booleans())
    w_max = round(max(float(np.max(w)) if not hasattr(w, "distribution") else hi, 0.1) * _u(draw, 1.0, 2.0), 4)
    kw = dict(tau_plus=_u(draw, 2, 20), tau_minus=_u(draw, 2, 20),
              A_plus=(draw(st.sampled_from([0.0, _u(draw, 0.05, 0.6)])) if "stdp.a_plus_zero" in v else
                      _u(draw, 0.05, 0.6)) * (1 if mult else hi),
              A_minus=_u(draw, 0.05, 0.6) * (1 if mult else hi), w_min=0.0, w_max=w_max)
    if "stdp.clipping" in v and not mult and draw(st.integers(0, 3)) == 0:
        kw["A_minus"] = round(w_max * _u(draw, 1.0, 2.0), 4)         # one depression clips at w_min
    if "stdp.fields" in v:
        kw["depress_at_zero"] = draw(st.booleans())
    if "stdp.conventions" in v:
        kw.update(potentiate_at_zero=draw(st.booleans()),
                  traces=draw(st.sampled_from(["all_to_all", "nearest"])),
                  transmit=draw(st.sampled_from(["after_update", "before_update"])),
                  dendritic_delay=draw(st.sampled_from([None, None, 0.0])))
        if not mult:
            kw["clamp"] = draw(st.sampled_from(["per_event", "per_update"]))
        if draw(st.integers(0, 3)) == 0:
            kw["post_history"] = draw(st.sampled_from([4, 16]))
    if gate and "stdp.gate" in v and draw(st.integers(0, 3)) > 0:
        kw["gate"] = gate
        kw.pop("post_history", None)
    if mult:
        kw["weight_dependence"] = "multiplicative"
    return STDP(**kw)


class _Draw:
    """hypothesis' draw carrying the vocabulary, so every helper reads it as draw.vocab."""

    def __init__(self, draw, vocab):
        self.draw, self.vocab, self.self_driven, self.dt = draw, vocab, False, 1.0

    def __call__(self, strategy):
        return self.draw(strategy)


@st.composite
def _network(draw, vocab):
    import spikemem as sm
    draw = _Draw(draw, vocab)
    dt = draw(st.sampled_from([d for d, f in ((1.0, "dt.1"), (0.1, "dt.0.1")) if f in vocab]))
    scheme = draw(st.sampled_from([s for s in ("exact", "spinnaker") if f"scheme.{s}" in vocab]))
    numerics = "fixed" if scheme == "spinnaker" and "numerics.fixed" in vocab and draw(st.integers(0, 3)) == 0 else "float"
    duration = round(draw(st.integers(8, 30)) * (1.0 if dt == 1.0 else 0.4), 6)
    draw.dt = dt
    pops, projs = [], []
    for k in range(draw(st.sampled_from([0, 1, 1, 1, 2, 2]))):     # none: the neurons drive themselves
        size = draw(st.sampled_from([1, 2, 3, 4, 12]))             # 12: many spikes summed in one step
        pops.append(sm.Population(f"s{k}", size, _source(draw, size, duration, dt)))
    draw.self_driven = not pops
    gate = None
    if "stdp.gate" in vocab and draw(st.integers(0, 2)) == 0:
        gate = "g"
        pops.append(sm.Population("g", 1, sm.SpikeSourceArray(_times(draw, 1, duration, dt))))
    kinds = [c for c in CELLS if f"cell.{c}" in vocab]
    cells = {}
    for k in range(draw(st.integers(1, 3))):
        cells[f"n{k}"] = draw(st.sampled_from(kinds))
        pops.append(sm.Population(f"n{k}", draw(st.integers(1, 4)), _cell(draw, cells[f"n{k}"])))
    size = {p.name: p.size for p in pops}
    pre_names = [p.name for p in pops if p.name != "g"]
    posts = list(cells)
    plastic = []
    for k in range(draw(st.integers(1, 4))):
        pre = pre_names[0] if k == 0 else draw(st.sampled_from(pre_names))
        post = draw(st.sampled_from(posts))
        conn, n = _connector(draw, size[pre], size[post], pre == post)
        hi = WEIGHT[cells[post]] * (2 if pre.startswith("s") else 1)
        if cells[post] == "cond_exp" and "weight.strong_conductance" in vocab:     # stiff membranes (Brian2's sub-steps)
            hi *= draw(st.sampled_from([1, 1, 1, 10, 40]))
        w = _value(draw, hi, n, "weight", dt)
        d = _value(draw, hi, n, "delay", dt)
        inh = "receptor.inhibitory" in vocab and not pre.startswith("s") and draw(st.integers(0, 2)) == 0
        rule = None
        if not inh and any(f in vocab for f in ("stdp.additive", "stdp.multiplicative")) and \
                draw(st.integers(0, 2 if gate is None else 1)) == 0:          # a gate is there to be used
            rule = _stdp(draw, w, hi, gate)
            if hasattr(w, "distribution"):
                w = round(min(hi, rule.w_max), 4)
            else:
                w = np.minimum(w, rule.w_max) if isinstance(w, np.ndarray) else min(w, rule.w_max)
            plastic.append(f"p{k}")
        projs.append(sm.Projection(f"p{k}", pre, post, conn, w, d, "inhibitory" if inh else "excitatory", rule))
    if "connector.convolution" in vocab and draw(st.integers(0, 5)) == 0:
        from spikemem.description.layers import ConvolutionConnector
        kern = np.random.default_rng(draw(st.integers(0, 100))).uniform(0.5, 2.0, (draw(st.integers(1, 2)), 1, 2, 2))
        conv = ConvolutionConnector(kern, (1, 3, 3))
        pops += [sm.Population("map", 9, sm.SpikeSourceArray(_times(draw, 9, duration, dt))),
                 sm.Population("conv", conv.n_post, _cell(draw, "exp"))]
        projs.append(sm.Projection("conv", "map", "conv", conv, 1.0, 1.0))
        cells["conv"] = "exp"
    zero = "stdp.zero_pairs" in vocab and draw(st.integers(0, 5)) == 0
    if zero:
        z_post = _zero_pairs(draw, pops, projs, plastic)
        duration = max(duration, round(max(max(t) for p in pops if p.name.startswith("z_") and
                                           p.cell.kind == "SpikeSourceArray" for t in p.cell.spike_times) + 5 * dt, 6))
    currents = []
    if any(f in vocab for f in CURRENTS.values()) and draw(st.integers(0, 3)) == 3:
        currents = _currents(draw, cells, {p.name: p.size for p in pops}, duration, dt)
    recorded_v = tuple(n for n in cells if cells[n] != "izhikevich" and draw(st.booleans())) + ((z_post,) if zero else ())
    spikes = None                   # every population; sometimes a part of the neurons only
    if not zero and draw(st.integers(0, 3)) == 0:   # (the corner records them all: F7 is a kind of its own)
        spikes = tuple(n for n in cells if draw(st.booleans())) or (list(cells)[0],)
    rec = sm.Recording(spikes=spikes, v=recorded_v, weights=tuple(plastic))
    net = sm.Network(pops, projs, sm.Simulation(dt=dt, scheme=scheme, numerics=numerics), rec,
                     **({"current_sources": currents} if currents else {}))
    return net, duration


def networks(vocab=FULL, bias=None):
    """(Network, duration in ms); a draw that spikemem itself refuses to build is rejected (filtered).
    bias: a sub-vocabulary drawn from half the time (a pair's supported features), so that a
    pair whose backend refuses much of the space still compares many networks."""
    if bias is not None:
        return st.one_of(networks(vocab), networks(vocab & bias))
    from spikemem import SpikememError

    @st.composite
    def build(draw):
        try:
            return draw(_network(vocab))
        except SpikememError:
            return None
    return build().filter(lambda x: x is not None)


def used(net, duration) -> set:
    """The vocabulary features a network uses: the agreement matrix's columns."""
    out = {f"dt.{net.simulation.dt:g}", f"scheme.{net.simulation.scheme}", f"numerics.{net.simulation.numerics}"}
    names = {"IF_curr_exp": "cell.exp", "IF_curr_delta": "cell.delta", "IF_cond_exp": "cell.cond_exp",
             "IF_curr_alpha": "cell.alpha", "Izhikevich": "cell.izhikevich", "SpikeSourcePoisson": "source.poisson"}
    for p in net.populations:
        if p.cell.kind == "SpikeSourceArray":
            out.add("source.array")
            for tr in p.cell.spike_times:
                if len(set(tr)) < len(tr):
                    out.add("source.array.repeated")
                if any(abs(t - duration) < 1e-9 for t in tr):
                    out.add("source.array.at_end")
        else:
            out.add(names.get(p.cell.kind, p.cell.kind))
        if p.name == "z_post":
            out.add("stdp.zero_pairs")
    for pr in net.projections:
        out.add(f"connector.{pr.connector.kind}")
        for what in ("weight", "delay"):
            x = getattr(pr, what)
            out.add(f"{what}.distribution" if hasattr(x, "distribution") else
                    f"{what}.per_synapse" if np.ndim(x) else f"{what}.scalar")
        if pr.receptor == "inhibitory":
            out.add("receptor.inhibitory")
        if net.population(pr.post).cell.kind == "IF_cond_exp" and not hasattr(pr.weight, "distribution") and \
                np.max(pr.weight) > WEIGHT["cond_exp"] * 2:
            out.add("weight.strong_conductance")
        if pr.plasticity is not None:
            r = pr.plasticity
            out.add(f"stdp.{getattr(r, 'weight_dependence', 'additive')}")
            if r.gate is not None:
                out.add("stdp.gate")
    for inj in getattr(net, "current_sources", ()):
        out.add(CURRENTS[inj.source.kind])
    if any(np.max(pr.delay if not hasattr(pr.delay, "distribution") else 0) > 10 for pr in net.projections):
        out.add("delay.long")
    return out
