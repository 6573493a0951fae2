"""Multiplicative weight dependence (PyNN's MultiplicativeWeightDependence): closed-form updates in
float, sPyNNaker 7.4's integers (weight_multiplicative_impl.h) against a step-by-step oracle, torch
equal to numpy, and seeded random plastic networks on NEST and Brian2 against the reference."""
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from spikemem import (STDP, AllToAllConnector, IFCurrExp, Network, Population, Projection, Recording, Simulation,
                      SpikeSourceArray, UnsupportedFeature, ValidationError, get_backend)
from spikemem.engine import fixed_point as fx
from spikemem.engine.board_weights import quantise, ring_buffer_shifts

sys.path.insert(0, str(Path(__file__).parent))
from test_pynn_differential import plastic, random_network  # noqa: E402

RULE = STDP(tau_plus=3.0, tau_minus=4.0, A_plus=0.3, A_minus=0.2, w_min=0.0, w_max=0.4,
            weight_dependence="multiplicative")
CELL = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.5, v_rest=-60.0, v_reset=-60.0, v_thresh=-57.0,
                 tau_refrac=1.0)


def net_of(rule, w0=0.17, numerics="float", delay=2.0):
    """Two plastic synapses onto a neuron that a strong drive makes fire when told."""
    cells = [Population("pre", 2, SpikeSourceArray()), Population("drive", 1, SpikeSourceArray()),
             Population("post", 1, CELL)]
    projs = [Projection("d", "drive", "post", AllToAllConnector(), weight=20.0, delay=1.0),
             Projection("s", "pre", "post", AllToAllConnector(), weight=w0, delay=delay, plasticity=rule)]
    return Network(cells, projs, Simulation(numerics=numerics), Recording(spikes=("post",), weights=("s",)))


PRE = [[3.0, 5.0, 6.0, 14.0, 20.0, 21.0, 40.0], [1.0, 9.0, 10.0, 30.0]]
DRIVE = [[2.0, 6.0, 7.0, 12.0, 18.0, 19.0, 26.0, 38.0]]


def float_oracle(rule, w0, pre_times, post_times, d):
    """docs/stdp.md, section 1 and 2, written out: traces as sums of exponentials, post events at
    t_post + d before the pre spikes of the same step, a clip after every step."""
    w = w0
    events = sorted([(t + d, 0) for t in post_times] + [(t, 1) for t in pre_times])
    for t, kind in events:
        if kind == 0:
            x = sum(math.exp(-(t - s) / rule.tau_plus) for s in pre_times if s < t)
            w = min(max(w + rule.A_plus * (rule.w_max - w) * x, rule.w_min), rule.w_max)
        else:
            y = sum(math.exp(-(t - (s + d)) / rule.tau_minus) for s in post_times if s + d <= t)
            w = min(max(w - rule.A_minus * (w - rule.w_min) * y, rule.w_min), rule.w_max)
    return w


def test_one_pair_in_closed_form():
    net = net_of(RULE, w0=0.2)
    res = get_backend("reference").run(net, 20, inputs={"pre": [[[1.0, 9.0], []]], "drive": [[[2.0]]]})
    assert res.spike_list("post") == [[3.0, 0]]             # seen by STDP at 3 + 2 = 5
    w1 = 0.2 + 0.3 * (0.4 - 0.2) * math.exp(-4 / 3.0)      # the pre spike at 1, four steps before the event
    w2 = w1 - 0.2 * (w1 - 0.0) * math.exp(-4 / 4.0)         # the pre spike at 9, four steps after it
    assert res.weights["s"][0, 0, 0] == pytest.approx(w2, rel=1e-12)
    additive = get_backend("reference").run(net_of(replace(RULE, weight_dependence="additive"), w0=0.2), 20,
                                            inputs={"pre": [[[1.0, 9.0], []]], "drive": [[[2.0]]]})
    assert not np.isclose(additive.weights["s"][0, 0, 0], w2)    # the rule matters


@pytest.mark.parametrize("history", [None, 16])
def test_a_longer_sequence_matches_the_event_oracle(history):
    rule = replace(RULE, post_history=history)
    res = get_backend("reference").run(net_of(rule), 50, inputs={"pre": [PRE], "drive": [DRIVE]})
    post = [t for t, _ in res.spike_list("post")]
    assert len(post) >= 6
    for i in range(2):
        assert res.weights["s"][0, i, 0] == pytest.approx(float_oracle(rule, 0.17, PRE[i], post, 2.0), rel=1e-12)


def test_weights_stay_between_the_bounds_without_clipping():
    """Each step moves a fraction of the room left, so with A * trace < 1 the bounds are never met."""
    rule = replace(RULE, A_plus=0.9, A_minus=0.9, w_min=0.05)
    pre = [[float(t) for t in range(1, 60, 3)]] * 2
    drive = [[float(t) for t in range(2, 60, 4)]]
    res = get_backend("reference").run(net_of(rule, w0=0.2), 62, inputs={"pre": [pre], "drive": [drive]})
    w = res.weights["s"][0, :, 0]
    assert np.all((w > 0.05) & (w < 0.4))


def test_torch_float64_equals_numpy(one_torch_thread):
    pytest.importorskip("torch")
    net = net_of(RULE)
    inputs = {"pre": [PRE, PRE[::-1]], "drive": [DRIVE, [[3.0, 9.0, 22.0]]]}
    a = get_backend("reference").run(net, 50, inputs=inputs)
    b = get_backend("torch", dtype="float64").run(net, 50, inputs=inputs)
    assert np.array_equal(a.weights["s"], b.weights["s"])


def test_per_update_clamping_is_refused():
    with pytest.raises(ValidationError, match="clamp"):
        replace(RULE, clamp="per_update")


def test_the_file_names_the_rule(tmp_path):
    net = net_of(RULE)
    net.save(tmp_path / "n.json")
    assert '"stdp_pair_multiplicative"' in (tmp_path / "n.json").read_text()
    assert Network.load(tmp_path / "n.json") == net


# -- fixed point ---------------------------------------------------------------------------------
def fixed_oracle(rule, shift, w0, pre_times, post_times, d, t_end, scale=1.0):
    """One synapse as a core updates it, written from weight_multiplicative_impl.h (scale = (w_max -
    w) a2_plus or (w - w_min) a2_minus as GCC's accum product, then mul_accum_fixed of the scale and
    the trace, no clamp), timing_pair_impl.h and synapse_dynamics_stdp_common.h (deferred
    potentiation at the next pre spike; depression by the last post event seen); every post event
    kept (post_history=None). scale: sPyNNaker's weight per description weight (board_scale), by
    which it writes w_min and w_max but not the dimensionless amplitudes."""
    lp, lm = list(fx.exp_lut(1.0, rule.tau_plus)), list(fx.exp_lut(1.0, rule.tau_minus))
    lut = (lambda tab, g: tab[g] if g < len(tab) else 0)
    ap, am, wmin, wmax = (fx.s1615(x) for x in (rule.A_plus, rule.A_minus, rule.w_min * scale, rule.w_max * scale))
    accum = (lambda a, b: (a * b) >> 15)
    mulacc = (lambda a, tr: (tr * (a << 4)) >> 15)
    posts, trace, last = [], 0, 0
    for tp in post_times:
        trace = fx.wrap16(((trace * lut(lm, tp - last)) >> 11) + 2048)
        posts.append((tp + d, trace))
        last = tp
    w = int(quantise([w0], shift, scale)[0]) << shift
    x_last, t_last = 0, 0
    for t in list(pre_times) + [t_end]:
        for te, _ in posts:
            if t_last < te <= t:
                w = w + mulacc(accum(wmax - w, ap), (x_last * lut(lp, te - t_last)) >> 11)
        if t == t_end:
            break
        seen = [(te, tr) for te, tr in posts if te <= t]
        if seen:
            te, tr = seen[-1]
            w = w - mulacc(accum(w - wmin, am), (tr * lut(lm, t - te)) >> 11)
        w = (w >> shift) << shift
        x_last = fx.wrap16(((x_last * lut(lp, t - t_last)) >> 11) + 2048)
        t_last = t
    return (w >> shift) * 2.0 ** (shift - 15) / scale


@pytest.mark.parametrize("history", [None, 16])
def test_fixed_point_matches_the_integer_oracle(history):
    rule = replace(RULE, post_history=history)
    net = net_of(rule, numerics="fixed")
    res = get_backend("reference").run(net, 50, inputs={"pre": [PRE], "drive": [DRIVE]})
    post = [int(t) for t, _ in res.spike_list("post")]
    assert len(post) >= 6
    shift = ring_buffer_shifts(net)["post"][0]
    for i in range(2):
        assert res.weights["s"][0, i, 0] == fixed_oracle(rule, shift, 0.17, [int(t) for t in PRE[i]], post, 2, 50), i
    additive = get_backend("reference").run(net_of(replace(rule, weight_dependence="additive"), numerics="fixed"), 50,
                                            inputs={"pre": [PRE], "drive": [DRIVE]})
    assert not np.array_equal(additive.weights["s"], res.weights["s"])
    floated = get_backend("reference").run(net_of(rule), 50, inputs={"pre": [PRE], "drive": [DRIVE]})
    np.testing.assert_allclose(res.weights["s"], floated.weights["s"], atol=4 * 2.0 ** (shift - 15))


def test_fixed_point_onto_alpha_cells_scales_the_bounds_not_the_amplitudes():
    """IF_curr_alpha's board weights are e tau_syn times the description's (docs/cells.md): a core
    gets w_min and w_max in those units, the multiplicative amplitudes as they are."""
    from spikemem import IFCurrAlpha
    from spikemem.engine.board_weights import board_scale
    cell = IFCurrAlpha(cm=0.27, tau_m=3.0, tau_syn_E=2.0, tau_syn_I=2.0, v_rest=-60.0, v_reset=-60.0,
                       v_thresh=-57.0, tau_refrac=1.0)
    net = net_of(RULE, numerics="fixed")
    net = replace(net, populations=[replace(p, cell=cell) if p.name == "post" else p for p in net.populations])
    res = get_backend("reference").run(net, 50, inputs={"pre": [PRE], "drive": [DRIVE]})
    post = [int(t) for t, _ in res.spike_list("post")]
    assert len(post) >= 4
    shift, scale = ring_buffer_shifts(net)["post"][0], board_scale(cell, "excitatory")
    assert scale == pytest.approx(2 * math.e)
    for i in range(2):
        want = fixed_oracle(RULE, shift, 0.17, [int(t) for t in PRE[i]], post, 2, 50, scale)
        assert res.weights["s"][0, i, 0] == want, i
    from spikemem.backends.pynn.lowering import lower           # what the spinnaker lowering sends
    from spikemem.backends.pynn.simulators import SPINNAKER
    sent = next(pr["stdp"] for pr in lower(replace(net, simulation=Simulation()), SPINNAKER)["projections"]
                if pr["name"] == "s")
    assert (sent["A_plus"], sent["A_minus"]) == (0.3, 0.2) and sent["w_max"] == pytest.approx(0.4 * scale)


def test_fixed_point_torch_equals_numpy(one_torch_thread):
    pytest.importorskip("torch")
    net = net_of(RULE, numerics="fixed")
    a = get_backend("reference").run(net, 50, inputs={"pre": [PRE], "drive": [DRIVE]})
    b = get_backend("torch").run(net, 50, inputs={"pre": [PRE], "drive": [DRIVE]})
    assert np.array_equal(a.weights["s"], b.weights["s"])


# -- PyNN simulators -----------------------------------------------------------------------------
def multiplicative(net, seed: int):
    """The plastic projection of a test_pynn_differential network, multiplicative."""
    rng = np.random.default_rng(7000 + seed)
    ab = net.projection("ab")
    rule = replace(ab.plasticity, weight_dependence="multiplicative", A_plus=float(rng.uniform(0.05, 0.6)),
                   A_minus=float(rng.uniform(0.05, 0.6)))
    return replace(net, projections=[replace(p, plasticity=rule) if p.name == "ab" else p for p in net.projections])


@pytest.mark.parametrize("simulator, seeds, conventions", [
    ("nest", range(12), (False, True)),
    pytest.param("brian2", range(3), (True,), marks=pytest.mark.slow),
])
def test_random_plastic_networks_match_the_reference(simulator, seeds, conventions):
    """Spikes and weights equal to the reference engine, or (NEST, depress_at_zero=True) refused by
    name where a pair at dt = 0 changed the run; the weights moved, and differ from additive ones."""
    pytest.importorskip("pyNN")
    pytest.importorskip(simulator)
    outcomes, moved = [], 0
    for seed in seeds:
        for depress_at_zero in conventions:
            net = multiplicative(plastic(random_network(seed, delta_ok=False), seed, depress_at_zero), seed)
            ref = get_backend("reference").run(net, 80.0)
            try:
                got = get_backend(simulator).run(net, 80.0)
            except UnsupportedFeature as e:
                assert depress_at_zero and "dt = 0" in str(e), e
                outcomes.append("refused")
                continue
            for pop in ("a", "b"):
                assert got.spike_list(pop) == ref.spike_list(pop), (seed, depress_at_zero, pop)
            np.testing.assert_allclose(got.weights["ab"], ref.weights["ab"], rtol=1e-9, atol=1e-12, err_msg=str(seed))
            w0 = np.broadcast_to(np.asarray(net.projection("ab").weight), ref.weights["ab"].shape[1:])
            moved += int(not np.allclose(ref.weights["ab"][0], w0))
            outcomes.append("equal")
    assert outcomes.count("equal") >= len(outcomes) // 2 and moved >= outcomes.count("equal") // 2


def test_nest_refuses_multiplicative_depression_without_potentiation():
    pytest.importorskip("pyNN")
    pytest.importorskip("nest")
    net = multiplicative(plastic(random_network(0, delta_ok=False), 0, False), 0)
    ab = net.projection("ab")
    net = replace(net, projections=[replace(p, plasticity=replace(ab.plasticity, A_plus=0.0)) if p.name == "ab" else p
                                    for p in net.projections])
    with pytest.raises(UnsupportedFeature, match="A_plus=0"):
        get_backend("nest").run(net, 20.0)
