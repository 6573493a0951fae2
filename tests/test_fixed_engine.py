"""numerics='fixed' in the shared engine, against step-by-step integer oracles written from the
sPyNNaker C sources (docs/fixed_point.md): membrane, weights, ring-buffer saturation, STDP."""
import json
from collections import defaultdict
from dataclasses import replace

import numpy as np
import pytest

from spikemem import (STDP, AllToAllConnector, FormatError, IFCurrExp, Network, OneToOneConnector,
                      Population, Projection, Recording, Simulation, SpikeSourceArray, UnsupportedFeature,
                      ValidationError, get_backend)
from spikemem.engine import fixed_point as fx
from spikemem.engine.board_weights import quantise, ring_buffer_shifts

CELL = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.5, v_rest=-60.0, v_reset=-60.0, v_thresh=-57.0,
                 tau_refrac=2.0, i_offset=0.1)


def one_neuron(w, receptor="excitatory", cell=CELL, mesw=None, n_src=1):
    return Network([Population("src", n_src, SpikeSourceArray()), Population("n", 1, cell, mesw)],
                   [Projection("p", "src", "n", AllToAllConnector(), weight=w, delay=1.0, receptor=receptor)],
                   Simulation(numerics="fixed"), Recording(spikes=("n",), v=("n",)))


def lif_oracle(net, src_steps, steps):
    """One IF neuron fed by one projection: the C loop of neuron_impl_standard.h, scalar ints."""
    cell, pr = net.population("n").cell, net.projections[0]
    k = 0 if pr.receptor == "excitatory" else 1
    shift = ring_buffer_shifts(net)["n"][k]
    R, exp_tc, T = fx.lif_constants(cell.tau_m, cell.cm, cell.tau_refrac, 1.0)   # raw, as sPyNNaker writes it
    decay, init = fx.synapse_decay_init([cell.tau_syn_E, cell.tau_syn_I][k], 1.0)
    w16 = [int(x) for x in quantise(np.ravel(pr.weight) * np.ones(len(src_steps)), shift)]
    V, I, refr, ring = fx.s1615(cell.v_start), 0, 0, defaultdict(int)
    vs, spikes = [], []
    for t in range(steps):
        I += ((min(ring.pop(t, 0), 0xFFFF) << shift) * init) >> 32
        if refr > 0:
            refr -= 1
        else:
            total = (I if k == 0 else -I) + fx.s1615(cell.i_offset)
            alpha = ((total * R + 16384) >> 15) + fx.s1615(cell.v_rest)
            V = alpha - ((exp_tc * (alpha - V) + 16384) >> 15)
        if V >= fx.s1615(cell.v_thresh):
            spikes.append(t)
            V, refr = fx.s1615(cell.v_reset), T
        vs.append(V / 32768)
        I = (I * decay) >> 32
        for i, times in enumerate(src_steps):
            if t in times:
                ring[t + 1] += w16[i]
    return np.array(vs), spikes


@pytest.mark.parametrize("w, receptor, tau_refrac", [(2.7, "excitatory", 2.0), (0.8123, "excitatory", 2.0),
                                                     (4.2, "inhibitory", 2.0), (2.7, "excitatory", 0.1)])
def test_membrane_matches_the_C_loop(w, receptor, tau_refrac):
    """tau_refrac = 0.1 (PyNN's default) is one refractory step on a core: ceil(0.1 / 1)."""
    src = [[0, 1, 2, 5, 6, 7, 8, 12, 13, 14, 15, 16]]
    net = one_neuron(w, receptor, replace(CELL, tau_refrac=tau_refrac))
    res = get_backend("reference").run(net, 30, inputs={"src": [[list(map(float, src[0]))]]})
    v, spikes = lif_oracle(net, [set(src[0])], 30)
    assert np.array_equal(res.v["n"][0, :, 0], v)
    assert [s for s, _ in res.spike_list("n")] == spikes
    assert (receptor == "inhibitory") or spikes          # the excitatory cases fire


def test_static_weights_are_sPyNNakers_16_bit_integers():
    from spikemem.engine.fixed_engine import FixedEngine
    from spikemem.engine.flatten import flatten
    rng = np.random.default_rng(0)
    w = rng.uniform(0, 0.3, (4, 3))
    net = Network([Population("s", 4, SpikeSourceArray()), Population("n", 3, CELL)],
                  [Projection("e", "s", "n", AllToAllConnector(), weight=w),
                   Projection("i", "s", "n", AllToAllConnector(), weight=w * 7, receptor="inhibitory")],
                  Simulation(numerics="fixed"))
    shifts = ring_buffer_shifts(net)["n"]
    # four synapses onto each post neuron: the buffer holds 4 x the largest weight, < 2^shift
    assert shifts == tuple(int(np.floor(np.log2(4 * m))) + 1 for m in (w.max(), 7 * w.max()))
    c = flatten(net)
    engine = FixedEngine(c, 1)
    got = np.sort(np.asarray(engine.csr[2]))
    want = np.sort(np.concatenate([quantise(w.ravel(), shifts[0]), quantise(7 * w.ravel(), shifts[1])]))
    assert np.array_equal(got, want)
    scale = 2.0 ** (15 - shifts[0])
    assert np.abs(quantise(w, shifts[0]) / scale - w).max() <= 0.5 / scale


def test_ring_buffer_saturates_and_counts_like_synapses_c():
    # override: the ring buffer is sized for 1 nA -> shift 1, 16384 units per nA; 5 x 1.5 nA in one step
    net = one_neuron(1.5, mesw=(1.0, 1.0), n_src=5, cell=replace(CELL, i_offset=0.0))
    res = get_backend("reference").run(net, 6, inputs={"src": [[[1.0]] * 5]})
    # running sums 24576, 49152, 73728 (full), 98304, 122880: three additions saturate
    assert res.saturations["n"]["ring_buffer"].tolist() == [3]
    v, _ = lif_oracle(net, [{1}] * 5, 6)           # the oracle clamps the entry at 0xFFFF
    assert np.array_equal(res.v["n"][0, :, 0], v)


def test_plastic_and_static_additions_saturate_in_delivery_order():
    """Three plastic 1.5 nA weights, then two static ones, land in one 16-bit entry (16384 units
    per nA): running sums 24576, 49152, 73728 (full), then two more additions to the full entry."""
    cell = replace(CELL, i_offset=0.0)
    rule = STDP(tau_plus=3.0, tau_minus=3.0, A_plus=0.1, A_minus=0.1, w_max=1.5)
    net = Network([Population("a", 3, SpikeSourceArray()), Population("b", 2, SpikeSourceArray()),
                   Population("n", 1, cell, (1.0, 1.0))],
                  [Projection("pl", "a", "n", AllToAllConnector(), weight=1.5, delay=2.0, plasticity=rule),
                   Projection("st", "b", "n", AllToAllConnector(), weight=1.5, delay=2.0)],
                  Simulation(numerics="fixed"), Recording(spikes=("n",), v=("n",)))
    res = get_backend("reference").run(net, 6, inputs={"a": [[[1.0]] * 3], "b": [[[1.0]] * 2]})
    assert res.saturations["n"]["ring_buffer"].tolist() == [3]
    one = Network(net.populations, net.projections[1:], net.simulation, net.recording)    # static alone: no saturation
    assert get_backend("reference").run(one, 6, inputs={"b": [[[1.0]] * 2]}).saturations["n"]["ring_buffer"][0] == 0


def test_weights_past_16_bits_wrap_as_sPyNNaker_writes_them():
    net = one_neuron(5.0, mesw=(1.0, 1.0), cell=replace(CELL, i_offset=0.0))
    assert quantise([5.0], 1)[0] == (5 * 16384) & 0xFFFF == 16384          # 5 nA is stored as 1 nA
    res = get_backend("reference").run(net, 6, inputs={"src": [[[1.0]]]})
    assert np.array_equal(res.v["n"][0, :, 0], lif_oracle(net, [{1}], 6)[0])


def test_accum_overflow_is_clamped_and_counted():
    big = IFCurrExp(cm=1.0, tau_m=1e4, tau_syn_E=2.0, v_rest=-65.0, v_reset=-65.0, v_thresh=30000.0)
    net = one_neuron(10.0, cell=big)                     # alpha = 10 nA x 10^4 MOhm leaves +-65536 mV
    res = get_backend("reference").run(net, 10, inputs={"src": [[[0.0, 1.0, 2.0]]]})
    assert res.saturations["n"]["accum"][0] > 0
    assert res.v["n"].max() < 65536
    ok = get_backend("reference").run(one_neuron(0.001, cell=big), 10, inputs={"src": [[[0.0]]]})
    assert ok.saturations["n"]["accum"][0] == 0 and ok.saturations["n"]["ring_buffer"][0] == 0


# -- STDP -----------------------------------------------------------------------------------
RULE = STDP(tau_plus=3.0, tau_minus=4.0, A_plus=0.11, A_minus=0.07, w_min=0.0, w_max=0.4)


def stdp_net(rule, w0=0.17, extra=()):
    cells = [Population("pre", 2, SpikeSourceArray()), Population("drive", 1, SpikeSourceArray()),
             Population("post", 1, replace(CELL, i_offset=0.0, tau_refrac=1.0)), *extra]
    projs = [Projection("d", "drive", "post", OneToOneConnector(), weight=20.0, delay=1.0),
             Projection("s", "pre", "post", AllToAllConnector(), weight=w0, delay=2.0, plasticity=rule)]
    return Network(cells, projs, Simulation(numerics="fixed"), Recording(spikes=("post",), weights=("s",)))


def stdp_oracle(rule, shift, w0, pre_times, post_times, d, t_end, history=None):
    """The deferred update of synapse_dynamics_stdp_common.h / timing_pair_impl.h /
    weight_additive_one_term_impl.h for one synapse, from its pre and post spike steps; a core
    keeps the last history - 1 post spikes (post_events.h)."""
    lp, lm = list(fx.exp_lut(1.0, rule.tau_plus)), list(fx.exp_lut(1.0, rule.tau_minus))
    lut = (lambda tab, g: tab[g] if g < len(tab) else 0)
    ap, am, wmin, wmax = (fx.s1615(x) for x in (rule.A_plus, rule.A_minus, rule.w_min, rule.w_max))
    mulacc = (lambda a, tr: (tr * (a << 4)) >> 15)
    posts, trace, last = [], 0, 0                          # (spike time, seen time, trace) of each post spike
    for tp in post_times:
        trace = fx.wrap16(((trace * lut(lm, tp - last)) >> 11) + 2048)
        posts.append((tp, tp + d, trace))
        last = tp
    w = int(quantise([w0], shift)[0]) << shift
    x_last, t_last = 0, 0
    for t in list(pre_times) + [t_end]:
        kept = [p for p in posts if p[0] <= t]
        kept = kept[-(history - 1):] if history else kept
        for _, te, _ in kept:
            if t_last < te <= t:
                w = min(w + mulacc(ap, (x_last * lut(lp, te - t_last)) >> 11), wmax)
        if t == t_end:
            break
        seen = [(te, tr) for _, te, tr in kept if te <= t]
        if seen:
            te, tr = seen[-1]
            w = max(w - mulacc(am, (tr * lut(lm, t - te)) >> 11), wmin)
        w = (w >> shift) << shift
        x_last = fx.wrap16(((x_last * lut(lp, t - t_last)) >> 11) + 2048)
        t_last = t
    return (w >> shift) * 2.0 ** (shift - 15)


@pytest.mark.parametrize("history", [None, 16])
def test_stdp_matches_the_deferred_update_of_the_C(history):
    rule = replace(RULE, post_history=history)
    pre = [[3.0, 5.0, 6.0, 14.0, 20.0, 21.0, 40.0], [1.0, 9.0, 10.0, 30.0]]
    drive = [[2.0, 6.0, 7.0, 12.0, 18.0, 19.0, 26.0, 38.0]]
    net = stdp_net(rule)
    res = get_backend("reference").run(net, 50, inputs={"pre": [pre], "drive": [drive]})
    post = [int(t) for t, _ in res.spike_list("post")]
    assert len(post) >= 6
    shift = ring_buffer_shifts(net)["post"][0]
    for i in range(2):
        want = stdp_oracle(rule, shift, 0.17, [int(t) for t in pre[i]], post, 2, 50)
        assert res.weights["s"][0, i, 0] == want, i
    assert not np.allclose(res.weights["s"], 0.17)


@pytest.mark.parametrize("history", [None, 16, 4])
def test_post_history_overflow_loses_events_as_on_a_core(history):
    rule = replace(RULE, A_plus=0.05, w_max=5.0, post_history=history)     # no clamping at w_max
    drive = [[float(t) for t in range(2, 40, 2)]]                          # 19 post spikes between pre spikes
    pre = [[1.0, 50.0], [0.0, 45.0, 55.0]]
    net = stdp_net(rule)
    res = get_backend("reference").run(net, 60, inputs={"pre": [pre], "drive": [drive]})
    post = [int(t) for t, _ in res.spike_list("post")]
    assert len(post) == 19
    shift = ring_buffer_shifts(net)["post"][0]
    for i in range(2):
        assert res.weights["s"][0, i, 0] == stdp_oracle(rule, shift, 0.17, [int(t) for t in pre[i]], post, 2, 60,
                                                        history), i
    if history:        # the oldest events, the ones that potentiate most, are gone
        full = stdp_oracle(rule, shift, 0.17, [1, 50], post, 2, 60)
        assert res.weights["s"][0, 0, 0] < full


@pytest.mark.parametrize("field, rule", [
    ("stdp.gate", None), ("stdp.traces", replace(RULE, traces="nearest")),
    ("stdp.clamp", replace(RULE, clamp="per_update")), ("stdp.potentiate_at_zero", replace(RULE, potentiate_at_zero=True)),
    ("stdp.dendritic_delay", replace(RULE, dendritic_delay=0.0))])
def test_what_a_core_cannot_do_is_refused_by_name(field, rule):
    if rule is None:
        net = stdp_net(replace(RULE, gate="g"), extra=[Population("g", 1, SpikeSourceArray())])
    else:
        net = stdp_net(rule)
    with pytest.raises(UnsupportedFeature, match=field.replace(".", r"\.")):
        get_backend("reference").run(net, 5)


# -- description, file format, backends ----------------------------------------------------
def test_fixed_numerics_need_the_spinnaker_scheme():
    with pytest.raises(ValidationError, match="simulation.numerics"):
        Simulation(scheme="exact", numerics="fixed")
    with pytest.raises(ValidationError, match="simulation.numerics"):
        Simulation(numerics="double")
    with pytest.raises(ValidationError, match="max_expected_summed_weight"):
        Population("x", 2, CELL, (1.0,))
    with pytest.raises(ValidationError, match="max_expected_summed_weight"):
        Population("x", 2, SpikeSourceArray(), (1.0, 1.0))


def test_json_keeps_numerics_and_reads_1_0_files(tmp_path):
    net = one_neuron(0.5, mesw=(2.0, 3.5))
    net.save(tmp_path / "n.json")
    back = Network.load(tmp_path / "n.json")
    assert back == net and back.simulation.numerics == "fixed"
    assert back.population("n").max_expected_summed_weight == (2.0, 3.5)
    d = json.loads((tmp_path / "n.json").read_text())
    assert d["version"] == "1.2"
    old = json.loads(json.dumps(d))
    old["version"] = "1.0"
    del old["simulation"]["numerics"]
    for p in old["populations"]:
        del p["max_expected_summed_weight"]
    old_net = Network.from_dict(old)
    assert old_net.simulation.numerics == "float" and old_net.population("n").max_expected_summed_weight is None
    del d["simulation"]["numerics"]
    with pytest.raises(FormatError, match="simulation.numerics"):
        Network.from_dict(d)


def test_backends_with_their_own_cells_refuse_fixed_numerics():
    pytest.importorskip("snntorch")
    with pytest.raises(UnsupportedFeature, match="numerics"):
        get_backend("snntorch").run(one_neuron(0.5), 5)


def test_torch_runs_fixed_numerics_bit_for_bit(one_torch_thread):
    pytest.importorskip("torch")
    from spikemem.models.ca3 import cases as hc
    from spikemem.models.ca3 import protocol
    from spikemem.models.ca3.builder import build_cam
    from spikemem.models.ca3.params import CA3Params
    cases = [hc.random_case(12, 12, 40, seed=s, spacing=None) for s in range(6)]
    net = build_cam(12, 12, CA3Params(numerics="fixed"), record_weights=True)
    net = replace(net, recording=replace(net.recording, v=("CA3cueContRecall",)))
    T = max(c.sim_time_ms for c in cases)
    ref = get_backend("reference").run(net, T, inputs=protocol.input_events(cases))
    tor = get_backend("torch").run(net, T, inputs=protocol.input_events(cases))
    for pop in ref.spikes:
        assert all(np.array_equal(a, b) for a, b in zip(ref.spikes[pop], tor.spikes[pop])), pop
    assert np.array_equal(ref.v["CA3cueContRecall"], tor.v["CA3cueContRecall"])
    for name in ref.weights:
        assert np.array_equal(ref.weights[name], tor.weights[name], equal_nan=True)
    assert ref.saturations.keys() == tor.saturations.keys()


def test_per_neuron_offsets_and_what_a_core_has_no_model_for():
    from spikemem.description.cells import IFCurrDelta
    both = Network([Population("n", 2, replace(CELL, i_offset=(0.1, 0.45)))], [], Simulation(numerics="fixed"),
                   Recording(v=("n",)))
    v = get_backend("reference").run(both, 20).v["n"][0]
    for k, off in enumerate((0.1, 0.45)):
        alone = lif_oracle(one_neuron(0.0, cell=replace(CELL, i_offset=off)), [set()], 20)[0]
        assert np.array_equal(v[:, k], alone)
    with pytest.raises(UnsupportedFeature, match="cell.delta"):
        get_backend("reference").run(one_neuron(0.5, cell=IFCurrDelta()), 5)
    with pytest.raises(UnsupportedFeature, match="cell.onset"):
        get_backend("reference").run(one_neuron(0.5, cell=replace(CELL, onset=3.0)), 5)
