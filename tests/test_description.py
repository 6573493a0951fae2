"""The model description validates on construction and round-trips through versioned JSON."""
import json

import numpy as np
import pytest
from spikemem.models.ca3 import build_cam

from spikemem import (
    STDP,
    AllToAllConnector,
    FormatError,
    FromListConnector,
    IFCurrExp,
    Network,
    OneToOneConnector,
    Population,
    Projection,
    Recording,
    Simulation,
    SpikeSourceArray,
    ValidationError,
)


def small_net(**proj_kwargs):
    pops = [Population("src", 3, SpikeSourceArray(((1.0,), (), (2.0, 4.0)))), Population("a", 3, IFCurrExp())]
    kw = dict(name="p", pre="src", post="a", connector=OneToOneConnector(), weight=1.0, delay=1.0)
    kw.update(proj_kwargs)
    return Network(pops, [Projection(**kw)])


def test_unknown_population_in_projection_names_it():
    with pytest.raises(ValidationError, match="p.post='nope'"):
        small_net(post="nope")


def test_negative_size():
    with pytest.raises(ValidationError, match="a.size=-2"):
        Population("a", -2)


def test_delay_not_multiple_of_dt():
    with pytest.raises(ValidationError, match="p.delay=1.5"):
        small_net(delay=1.5)
    Network([Population("a", 1)], [Projection("p", "a", "a", OneToOneConnector(), 1.0, 1.5)],
            Simulation(dt=0.5))  # fine on a 0.5 ms grid


def test_weight_array_of_wrong_shape():
    with pytest.raises(ValidationError, match=r"p.weight.*shape \(3, 3\)"):
        small_net(connector=AllToAllConnector(), weight=np.ones((3, 2)))
    with pytest.raises(ValidationError, match=r"p.weight.*shape \(3,\)"):
        small_net(weight=np.ones(4))


@pytest.mark.parametrize("field", ["tau_m", "tau_syn_E", "tau_syn_I", "cm"])
def test_tau_and_cm_must_be_positive(field):
    with pytest.raises(ValidationError, match=f"{field}=0"):
        IFCurrExp(**{field: 0})
    with pytest.raises(ValidationError, match=f"{field}=-1"):
        IFCurrExp(**{field: -1})


def test_stdp_taus_and_bounds():
    with pytest.raises(ValidationError, match="tau_plus=0"):
        STDP(tau_plus=0)
    with pytest.raises(ValidationError, match="w_max=0.5"):
        STDP(w_min=1.0, w_max=0.5)
    with pytest.raises(ValidationError, match="traces='sometimes'"):
        STDP(traces="sometimes")


def test_other_bad_descriptions():
    with pytest.raises(ValidationError, match="p.weight=-1.0"):
        small_net(weight=-1.0)
    with pytest.raises(ValidationError, match="receptor"):
        small_net(receptor="modulatory")
    with pytest.raises(ValidationError, match="population.name='a'"):
        Network([Population("a", 1), Population("a", 2)])
    with pytest.raises(ValidationError, match="simulation.scheme='euler'"):
        Simulation(scheme="euler")
    with pytest.raises(ValidationError, match="recording.v"):
        Network([Population("a", 1)], recording=Recording(v=("b",)))
    with pytest.raises(ValidationError, match="conn_list"):
        small_net(connector=FromListConnector(((0, 5),)), weight=1.0)
    with pytest.raises(ValidationError, match="src.spike_times"):
        Population("src", 2, SpikeSourceArray(((1.0,),)))
    with pytest.raises(ValidationError, match="spike source cannot receive"):
        small_net(pre="a", post="src")


def test_json_round_trip(tmp_path):
    net = build_cam(5, 10, record_weights=True)
    path = tmp_path / "net.json"
    net.save(path)
    back = Network.load(path)
    assert back == net
    assert back.to_dict() == net.to_dict()


def test_other_major_version_and_missing_field(tmp_path):
    d = build_cam(2, 3).to_dict()
    path = tmp_path / "net.json"
    path.write_text(json.dumps({**d, "version": "2.0"}))
    with pytest.raises(FormatError, match="version='2.0'"):
        Network.load(path)
    del d["simulation"]["scheme"]
    path.write_text(json.dumps(d))
    with pytest.raises(FormatError, match="simulation.scheme"):
        Network.load(path)


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    build_cam(2, 3).save(path)
    before = path.read_text()

    def boom(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr("spikemem.interchange.json_format.json.dumps", lambda *a, **k: "x" * 10)
    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        build_cam(4, 4).save(path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]


def test_cam_counts_match_the_documented_formulas():
    """Neurons 5C + 6N + 1 and synapses 2C^2 + C + 6N + 3CN + 2C + 2N, 2CN of them plastic (docs/ca3_protocol.md, 3 and 4)."""
    for C, N in [(5, 10), (16, 6), (32, 32)]:
        net = build_cam(C, N)
        sizes = {p.name: p.size for p in net.populations}
        assert sum(sizes.values()) == 5 * C + 6 * N + 1
        n_syn = sum(len(pr.connections(sizes[pr.pre], sizes[pr.post])[0]) for pr in net.projections)
        assert n_syn == 2 * C * C + C + 6 * N + 3 * C * N + 2 * C + 2 * N
        plastic = sum(len(pr.connections(sizes[pr.pre], sizes[pr.post])[0]) for pr in net.projections if pr.plasticity)
        assert plastic == 2 * C * N
