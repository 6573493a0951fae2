"""STDP of the reference engine against an independent event-by-event oracle of docs/stdp.md."""
import math

import numpy as np
import pytest

from spikemem import (STDP, AllToAllConnector, Network, OneToOneConnector, Population, Projection,
                      Recording, SpikeSourceArray, get_backend)
from spikemem.models.ca3 import build_cam, parse_stimulus
from spikemem.models.ca3.params import SLOW

from conftest import golden_file, stdp_rules

T_END = 60


def oracle_weight(w0, pre, post_fired, rule: STDP, d: int, t_end: int):
    """One synapse, events in time order, post before pre at equal times."""
    seen = sorted(t + d for t in post_fired)
    events = sorted([(T, 0) for T in seen] + [(t, 1) for t in pre])
    clip = lambda w: min(rule.w_max, max(rule.w_min, w))   # noqa: E731
    w, pending, last_pre = w0, 0.0, -math.inf

    def x_at(T, inclusive):
        ts = [t for t in pre if (t <= T if inclusive else t < T)]
        if not ts:
            return 0.0
        if rule.traces == "nearest":
            return math.exp(-(T - max(ts)) / rule.tau_plus)
        return sum(math.exp(-(T - t) / rule.tau_plus) for t in ts)

    def y_at(t, inclusive):
        Ts = [T for T in seen if (T <= t if inclusive else T < t)]
        if not Ts:
            return 0.0
        if rule.traces == "nearest":
            return math.exp(-(t - max(Ts)) / rule.tau_minus)
        return sum(math.exp(-(t - T) / rule.tau_minus) for T in Ts)

    def potentiate(w, amount):
        nonlocal pending
        if rule.clamp == "per_update":
            pending += amount
            return w
        return clip(w + amount)

    for time, kind in events:
        if kind == 0:
            if rule.post_history is None:
                w = potentiate(w, rule.A_plus * x_at(time, False))
            continue
        if rule.post_history is not None:
            kept = sorted(t + d for t in post_fired if t <= time)[-(rule.post_history - 1):]
            for T in kept:
                if last_pre < T <= time:
                    w = potentiate(w, rule.A_plus * x_at(T, False))
        if rule.potentiate_at_zero and time in seen:
            w = potentiate(w, rule.A_plus)
        w = w - rule.A_minus * y_at(time, rule.depress_at_zero) + pending
        pending = 0.0
        w = clip(w)
        last_pre = time
    if rule.post_history is not None:
        kept = sorted(t + d for t in post_fired if t < t_end)[-(rule.post_history - 1):]
        for T in kept:
            if last_pre < T <= t_end:
                w = potentiate(w, rule.A_plus * x_at(T, False))
    return clip(w + pending)


def run_pair_network(rule, pre_trains, drive_trains, w0):
    """Pre sources -> plastic -> post neurons that fire 1 ms after their own drive spikes.

    The plastic weights stay far below threshold, so post timing depends on the drive only.
    """
    n_pre, n_post = len(pre_trains), len(drive_trains)
    pops = [Population("pre", n_pre, SpikeSourceArray(tuple(map(tuple, pre_trains)))),
            Population("drive", n_post, SpikeSourceArray(tuple(map(tuple, drive_trains)))),
            Population("post", n_post, SLOW)]
    projs = [Projection("drive", "drive", "post", OneToOneConnector(), 8.0, 1.0),
             Projection("plastic", "pre", "post", AllToAllConnector(), w0, 1.0, plasticity=rule)]
    net = Network(pops, projs, recording=Recording(spikes=("post",), weights=("plastic",)))
    return get_backend().run(net, float(T_END))


RULES = stdp_rules()


@pytest.mark.parametrize("name", sorted(RULES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weights_match_the_event_oracle(name, seed):
    rule = RULES[name]
    rng = np.random.default_rng(seed)
    pre = [sorted(set(rng.integers(0, T_END - 2, size=rng.integers(3, 12)).tolist())) for _ in range(3)]
    # drive spikes at least 2 ms apart, so that none lands in the post neuron's refractory step
    drive = [sorted(set((2 * rng.integers(0, (T_END - 3) // 2, size=rng.integers(3, 14))).tolist())) for _ in range(2)]
    w0 = rng.uniform(0.0, 0.5, size=(3, 2))
    res = run_pair_network(rule, pre, drive, w0)
    post_fired = res.spike_trains("post")
    d = 1 if rule.dendritic_delay is None else int(rule.dendritic_delay)
    for j in range(2):
        assert post_fired[j] == [t + 1 for t in drive[j]]   # drive alone sets post timing
        for i in range(3):
            want = oracle_weight(w0[i, j], pre[i], post_fired[j], rule, d, T_END)
            assert res.weights["plastic"][0, i, j] == pytest.approx(want, abs=1e-12), (i, j)


def test_post_history_drops_old_events():
    """With 4 slots (3 events kept) only the last 3 of 6 post events between two pre spikes potentiate."""
    rule = STDP(3.0, 3.0, 0.2, 0.0, 0.0, 10.0, post_history=4)
    pre, drive = [[0, 40]], [[1, 3, 5, 7, 9, 11]]
    unlimited = run_pair_network(STDP(3.0, 3.0, 0.2, 0.0, 0.0, 10.0), pre, drive, 0.0).weights["plastic"][0, 0, 0]
    limited = run_pair_network(rule, pre, drive, 0.0).weights["plastic"][0, 0, 0]
    seen = [t + 2 for t in drive[0]]
    assert unlimited == pytest.approx(sum(0.2 * math.exp(-T / 3) for T in seen), rel=1e-12)
    assert limited == pytest.approx(sum(0.2 * math.exp(-T / 3) for T in seen[-3:]), rel=1e-12)


def test_large_post_history_equals_online_on_the_stress_recording():
    import json
    from dataclasses import replace
    from spikemem.models.ca3 import CA3Params
    stim = parse_stimulus(json.loads(golden_file("exp2_stress_pyramidal_sequence.json").read_text()))
    p = CA3Params()
    nets = [build_cam(5, 10, p, record_weights=True),
            build_cam(5, 10, replace(p, stdp=replace(p.stdp, post_history=200)), record_weights=True)]
    a, b = (get_backend().run(n, stim.sim_time_ms, inputs=stim.inputs()) for n in nets)
    for pop in a.spikes:
        assert all(np.array_equal(x, y) for x, y in zip(a.spikes[pop], b.spikes[pop])), pop
    for proj in a.weights:
        np.testing.assert_allclose(a.weights[proj], b.weights[proj], atol=1e-12)


def test_one_learn_operation_net_effect():
    """docs/ca3_protocol.md, 5: new bits go to 6, forgotten bits of cue->content go to 0, content->cue to 6 e^(-2/3)."""
    from spikemem.harness.cases import Case
    from spikemem.harness.operations import Learn
    from spikemem.models.ca3 import protocol
    # 40 ms apart: the traces of the first learn have died out (the table assumes no history)
    case = Case("relearn", 2, 4, ((0.0, Learn(0, frozenset({0, 1}))), (40.0, Learn(0, frozenset({1, 2})))), 50.0)
    res = get_backend().run(build_cam(2, 4, record_weights=True), 50.0, inputs=protocol.input_events([case]))
    w_cc = res.weights["cue_to_content_stdp"][0]    # (C, N)
    w_kc = res.weights["content_to_cue_stdp"][0]    # (N, C)
    assert w_cc[0, 1] == w_cc[0, 2] == 6.0
    assert w_cc[0, 0] == 0.0
    assert w_kc[1, 0] == w_kc[2, 0] == 6.0
    assert w_kc[0, 0] == pytest.approx(6 * math.exp(-2 / 3), abs=1e-4)   # + e^(-40/3)-small history
    assert w_kc[0, 0] < 3.3580    # the residue stays just below the fast threshold
