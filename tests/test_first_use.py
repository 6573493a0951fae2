"""What a new user met in the first hour: float noise in spike times, bare KeyErrors for unknown names,
refusals that advised an option that does not work, errors that did not say which population, a
file of the wrong kind read as a broken recording, and plots that named populations unlike the rest
of the tool."""
import json
import re
from decimal import Decimal

import numpy as np
import pytest
from conftest import golden_file

from spikemem import (
    IFCurrExp,
    Network,
    OneToOneConnector,
    Population,
    Projection,
    Recording,
    Simulation,
    STDP,
    SpikeSourceArray,
    SpikeSourcePoisson,
    UnsupportedFeature,
    ValidationError,
    get_backend,
)
from spikemem.cli import main

CELL = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60, v_reset=-60, v_thresh=-57,
                 tau_refrac=1.0)


def _relay(dt: float) -> Network:
    return Network([Population("src", 2, SpikeSourceArray()), Population("a", 2, CELL)],
                   [Projection("src_a", "src", "a", OneToOneConnector(), weight=6.0, delay=dt)],
                   Simulation(dt=dt), Recording(spikes=("src", "a")))


# -- spike times are the grid's own decimals -------------------------------------------------------
@pytest.mark.parametrize("dt", [0.1, 0.025, 0.2, 0.5, 1.0, 0.3])
def test_grid_times_print_as_the_grid_writes_them(dt):
    from spikemem.results import grid_ms
    steps = np.arange(0, 5000)
    written = [format(Decimal(int(k)) * Decimal(repr(dt)), "f").rstrip("0").rstrip(".") or "0" for k in steps]
    assert [repr(float(t)).removesuffix(".0") for t in grid_ms(steps, dt)] == written


def test_spike_list_json_and_neo_carry_no_float_noise():
    res = get_backend("reference").run(_relay(0.1), 20.0, inputs={"src": [[[8.2], [11.0]]]})
    assert json.dumps(res.spike_list("src")) == "[[8.2, 0], [11, 1]]"    # 82 x 0.1 is 8.200000000000001
    assert json.dumps(res.spike_list("a")) == "[[8.4, 0], [11.2, 1]]"    # 112 x 0.1 is 11.200000000000001
    assert res.spike_trains("a") == [[8.4], [11.2]]
    pytest.importorskip("neo")
    block = res.to_neo()
    times = {(st.annotations["source_population"], st.annotations["source_index"]): st.magnitude.tolist()
             for st in block.segments[0].spiketrains}
    assert times[("src", 0)] == [8.2] and times[("a", 1)] == [11.2]


def test_a_portable_replay_writes_whole_milliseconds(tmp_path):
    """The portable variant runs at 0.1 ms; the recording's spikes lie on whole ms and are written so."""
    out = tmp_path / "spikes.json"
    recording = golden_file("exp1_functional_learn_recall_forget.json")
    assert main(["cam", "replay", str(recording), "--variant", "portable", "--out", str(out)]) == 0
    written, golden = json.loads(out.read_text()), json.loads(recording.read_text())
    for pop, want in golden["recorded_spikes"].items():
        assert written["recorded_spikes"][pop]["spikes_t_ms_neuron"] == want["spikes_t_ms_neuron"], pop   # exactly


# -- unknown names -------------------------------------------------------------------------------
@pytest.mark.parametrize("call", ["spike_list", "spike_trains", "spike_matrix", "count"])
def test_an_unknown_population_of_a_result_lists_the_recorded_ones(call):
    res = get_backend("reference").run(_relay(1.0), 5.0)
    with pytest.raises(ValidationError, match=r"population='c': .*\(recorded: \['a', 'src'\]\)"):
        getattr(res, call)("c")


@pytest.mark.parametrize("field, name, known", [("spikes", "c", "['a', 'src']"), ("v", "c", "['a', 'src']"),
                                                ("weights", "c", "['src_a']")])
def test_an_unknown_recorded_name_lists_the_known_ones(field, name, known):
    with pytest.raises(ValidationError, match=re.escape(f"recording.{field}='c'") + ".*" + re.escape(f"(known: {known})")):
        Network(_relay(1.0).populations, _relay(1.0).projections, Simulation(dt=1.0), Recording(**{field: (name,)}))


# -- errors name the population or projection ------------------------------------------------------
def _saved(tmp_path, change) -> str:
    net = Network([Population("src", 1, SpikeSourceArray()), Population("a", 1, CELL)],
                  [Projection("src_a", "src", "a", OneToOneConnector(), weight=1.0, delay=1.0,
                              plasticity=STDP(3, 3, 0.1, 0.1, 0, 1))])
    path = tmp_path / "net.json"
    net.save(path)
    d = json.loads(path.read_text())
    change(d)
    path.write_text(json.dumps(d))
    return str(path)


def test_a_bad_cell_parameter_in_a_file_names_its_population(tmp_path):
    path = _saved(tmp_path, lambda d: d["populations"][1]["cell"].update(tau_m="10ms"))
    with pytest.raises(ValidationError, match=r"^a\.tau_m='10ms': must be a number"):
        Network.load(path)


def test_a_bad_cell_parameter_in_python_names_the_cell_type():
    """In Python the cell exists before its population: the refusal names the cell type."""
    with pytest.raises(ValidationError, match=r"^IFCurrExp\.tau_m='10ms': must be a number"):
        IFCurrExp(tau_m="10ms")
    with pytest.raises(ValidationError, match=r"^SpikeSourcePoisson\.rate=-1: must be >= 0"):
        SpikeSourcePoisson(rate=-1)


def test_a_bad_plasticity_field_in_a_file_names_its_projection(tmp_path):
    path = _saved(tmp_path, lambda d: d["projections"][0]["plasticity"].update(tau_plus=-3))
    with pytest.raises(ValidationError, match=r"^src_a\.tau_plus=-3"):
        Network.load(path)


# -- a file of the wrong kind is named -----------------------------------------------------------
def test_cam_replay_given_a_network_file_says_so(tmp_path, capsys):
    path = _saved(tmp_path, lambda d: None)
    assert main(["cam", "replay", path, "--out", str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err
    assert f"{path}: a spikemem network file, not a CA3 recording" in err and "missing keys" not in err


def test_a_network_command_given_a_recording_says_so(tmp_path):
    recording = golden_file("exp1_functional_learn_recall_forget.json")
    with pytest.raises(Exception, match=r"a CA3 recording, not a spikemem network file"):
        Network.load(recording)


# -- a refusal names the option that works ---------------------------------------------------------
@pytest.mark.parametrize("backend, module", [("nest", "pyNN.nest"), ("brian2", "pyNN.brian2")])
def test_the_faithful_memory_on_an_exact_simulator_names_the_portable_variant(backend, module, capsys):
    pytest.importorskip(module)
    assert main(["demo", "--backend", backend, "--png", ""]) == 2
    err = capsys.readouterr().err
    assert "--variant portable" in err and err.count("\n") == 1
    from spikemem.models.ca3 import CA3Memory
    memory = CA3Memory(5, 10, backend=backend)
    with pytest.raises(UnsupportedFeature, match="variant='portable'"):
        memory.learn(0, [1, 2])
    assert memory.timed_ops == []                                   # the refused operation changed nothing


def test_with_foreign_scheme_the_backends_own_reason_stands():
    """foreign_scheme=True runs the faithful circuit on NEST; a refusal then is NEST's, not the scheme's."""
    pytest.importorskip("pyNN.nest")
    from spikemem.models.ca3 import CA3Memory, cases
    nest = get_backend("nest", foreign_scheme=True, spike_precision="off_grid")
    with pytest.raises(UnsupportedFeature, match="depress_at_zero") as refused:
        CA3Memory.run_cases([cases.functional()], nest)
    assert "portable" not in str(refused.value)


def test_the_harness_runs_the_faithful_circuit_with_foreign_scheme(capsys):
    """--foreign-scheme, the option the refusal warns against, is taken as asked: the harness runs
    the published circuit with NEST's exact integration (where it scores 0/9), not skipping it."""
    pytest.importorskip("pyNN.nest")
    assert main(["harness", "--backend", "nest", "--foreign-scheme", "--random", "0", "--cases", "functional",
                 "--json"]) == 0
    row, = json.loads(capsys.readouterr().out.strip().splitlines()[-1])       # NEST prints its banner first
    assert "skipped" not in row and row["counts"]["overall"][1] == 9 and row["counts"]["overall"][0] < 9


def test_the_portable_variant_it_names_works_on_nest(capsys):
    pytest.importorskip("pyNN.nest")
    assert main(["demo", "--backend", "nest", "--variant", "portable", "--png", ""]) == 0
    assert "9/9 operations correct" in capsys.readouterr().out


# -- plots name populations as the rest of the tool does -------------------------------------------
def test_the_raster_names_populations_as_the_recordings_and_ticks_every_neuron():
    from spikemem.models.ca3 import CA3Memory, cases, plots
    from spikemem.models.ca3.builder import RECORDED
    case = cases.functional()
    _, result = CA3Memory.run_cases([case], "reference", return_result=True)
    fig = plots.raster_figure(result, case)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels[2:] == list(RECORDED)                            # CA3cueCueRecall, ..., OUTcue, OUTcont
    for ax, pop in zip(fig.axes, labels):
        assert list(ax.get_yticks()) == list(range(result.sizes[pop])), pop
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["learn", "recall by cue", "recall by content"]


def test_the_capacity_plot_has_a_title_and_lines_told_apart():
    from spikemem.models.ca3 import plots
    rows = [{"C": C, "N": N, "load_bins": [0.1, 0.5, 1.0], "recall_accuracy_by_load": [1.0, 0.8, 0.6]}
            for C in (8, 16, 32, 64) for N in (8, 16, 32, 64)]
    fig = plots.capacity_figure(rows)
    assert fig._suptitle is not None and fig._suptitle.get_text()
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [f"C = {C} addresses" for C in (8, 16, 32, 64)]
    for ax in panels:
        colours = [tuple(line.get_color()) for line in ax.get_lines()]
        assert len(colours) == 4 and len(set(colours)) == 4          # one colour per N within a panel
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["N = 8", "N = 16", "N = 32", "N = 64"]
