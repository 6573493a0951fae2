"""A saved Network as a standalone PyNN script for NEST, Brian2 or sPyNNaker.

The script is written from the lowered network (lowering.lower: explicit connection lists,
the simulator's weight signs and STDP amplitude convention, its refractory rounding) and the
simulator's profile (setup options, the stimulus shift NEST needs, Brian2's STDP timing): the
same data the backend builds from, written out as plain PyNN calls. It needs only PyNN and the
simulator, runs one trial and writes its spikes as JSON in the layout of docs/export.md,
on spikemem's time axis (a stimulus shift is undone), so its file compares directly with
the backend's Result.spike_list().
"""
from __future__ import annotations

import inspect
import json
from pprint import pformat

from spikemem.engine import poisson
from spikemem.engine.inputs import SpikeEvents, resolve_inputs
from spikemem.results import grid_decimals

from . import cond_substeps
from .currents import plain_currents
from .lowering import check_scheme, check_sources, lower, max_delay, shift_steps, stimulus
from .simulators import PROFILES, setup_options

FORMAT = "spikemem-spikes/1"
PACKAGES = {"nest": "pyNN and NEST (pip install 'spikemem[nest]' brings both)",
            "brian2": "pyNN and Brian2 (pip install 'spikemem[brian2]' brings both)",
            "spinnaker": "pyNN and sPyNNaker 7 (pip install 'spikemem[spinnaker]' brings both)"}


def default_duration(network, inputs=None) -> float:
    """The last stimulus spike plus 100 ms (the script's default run time when none is given)."""
    _, events = resolve_inputs(network, inputs)
    last = max((int(ev.step.max()) for ev in events.values() if len(ev)), default=0)
    return last * network.simulation.dt + 100.0


def pynn_script(network, simulator: str, duration_ms: float, inputs=None, trial: int = 0,
                foreign_scheme: bool = False, spike_precision: str = "on_grid", codegen: str = "numpy") -> str:
    """The text of a standalone script that runs `network` on pyNN.<simulator> for `duration_ms`."""
    profile = PROFILES[simulator]
    check_scheme(network, profile, foreign_scheme)
    plain = lower(network, profile, explicit=True)
    dt = plain["dt"]
    steps = round(duration_ms / dt)
    _, events = resolve_inputs(network, inputs)
    drawn = poisson.events(network, 1, steps, trials=[trial])    # trial `trial`'s Poisson trains, at index 0
    events = {**{k: _only_trial(v, trial) for k, v in events.items()}, **drawn}
    noise_trial, trial = trial, 0
    shift = shift_steps(events, profile, network)
    sizes = {p.name: p.size for p in network.populations}
    check_sources(events, profile, dt)
    stim = stimulus(events, sizes, trial, dt, shift, profile.source_early_steps, steps)
    plain["current_sources"] = plain_currents(network, profile, noise_trial, shift, steps)
    setup = setup_options(profile, dt, spike_precision, max_delay=max_delay(plain))
    recorded = [p.name for p in network.populations if p.name in network.recorded_spikes]
    parts = [_header(network, simulator, steps * dt, plain), _constants(plain, simulator, steps, shift, recorded),
             _build(plain, stim, simulator)]
    if simulator == "brian2" and cond_substeps.cond_populations(plain):
        k = cond_substeps.first_guess(plain, events, trial, steps)
        parts[1] += (f"\nSUBSTEPS = {k}  # Runge-Kutta sub-steps per DT for IF_cond_exp, from the sources' spikes "
                     "(spikemem's backend\n# also checks the conductances the neurons' own spikes add, and runs again "
                     "where they need more)")
        parts.append(inspect.getsource(cond_substeps.sub_stepped_rk4).rstrip())
    one = simulator == "brian2" and any(p["kind"] == "SpikeSourceArray" and p["size"] == 1 for p in plain["populations"])
    if simulator == "brian2":
        parts.append(_brian2_timing(plain))
    if one:
        parts.append(_BRIAN2_ONE_SOURCE)
    parts.append(_main(simulator, setup, codegen, one))
    return "\n\n\n".join(parts) + "\n"


def _only_trial(ev, trial: int):
    """The events of one trial, as trial 0."""
    keep = ev.trial == trial
    return SpikeEvents(ev.trial[keep] * 0, ev.step[keep], ev.neuron[keep])


def _header(network, simulator: str, duration: float, plain: dict) -> str:
    return (f'"""Standalone PyNN script: the spikemem network {network.name!r} on {simulator}.\n\n'
            "Written by `spikemem export pynn` from the network's lowered form. Needs only\n"
            f"{PACKAGES[simulator]}.\n"
            + ("The board comes from spynnaker.cfg (see spynnaker.cfg.example) or ~/.spynnaker.cfg.\n"
               if simulator == "spinnaker" else "")
            + f"Run: python {script_name(simulator)} [--out SPIKES.json] [--duration MS]   (default {duration:g} ms)\n"
            f"Spikes are written as JSON: {{\"format\": \"{FORMAT}\", \"network\", \"simulator\", \"dt\", "
            "\"duration_ms\",\n\"populations\": {name: {\"size\": n, \"spikes_t_ms_neuron\": [[t_ms, neuron], ...]}}}, "
            "sorted by time then\nneuron, on spikemem's time axis (spikemem's docs/export.md).\n\"\"\"\n"
            f"import argparse\nimport json\nimport os\n\nimport pyNN.{_module(simulator)} as sim"
            + ("\nfrom pyNN.space import Grid2D" if any("grid" in p for p in plain["populations"]) else ""))


def script_name(simulator: str) -> str:
    return f"run_{simulator}.py"


def _module(simulator: str) -> str:
    return PROFILES[simulator].module.split(".", 1)[1]


def _constants(plain, simulator, steps, shift, recorded) -> str:
    notes = ["NAME = %r" % plain["name"], "SIMULATOR = %r" % simulator, f"DT = {plain['dt']!r}  # ms",
             f"DECIMALS = {grid_decimals(plain['dt'])}  # spike times keep the grid's decimals (8.2, not 8.200000000000001)",
             f"STEPS = {steps}  # the default run: STEPS * DT ms",
             f"SHIFT = {shift}  # steps the stimulus runs late" + (
                 " (NEST refuses source spikes before 2 steps); spikes are moved back" if shift else ""),
             f"RECORDED = {recorded!r}"]
    parts = {}
    for p in plain["populations"]:       # a population split into one per channel (local_only.py)
        name, k, n = p.get("channel_of", (p["name"], 0, 0))
        parts.setdefault(name, []).append((p["name"], k * n))
    notes.append(f"PARTS = {_lit({n: v for n, v in parts.items() if n in recorded})}  # population: [(PyNN population, "
                 "first neuron)]")
    return "\n".join(notes)


def _lit(value) -> str:
    """A Python literal that reads back to `value` (floats keep every digit)."""
    return pformat(value, width=110, compact=True, sort_dicts=False)


def _build(plain, stim, simulator) -> str:
    lines = ["def build():", '    """Populations and projections, as spikemem lowered them for this simulator."""',
             "    pops, projs = {}, {}"]
    kinds = {p["name"]: p["kind"] for p in plain["populations"]}
    if simulator == "brian2" and "IF_cond_exp" in kinds.values():
        lines += ["    # IF_cond_exp by classic Runge-Kutta on SUBSTEPS sub-steps of DT, as spikemem's backend runs it",
                  "    # (pyNN.brian2 would pick forward Euler for its non-linear equations; spikemem docs/cells.md)",
                  "    import functools",
                  "    model = sim.IF_cond_exp.brian2_model",
                  "    model = model.func if isinstance(model, functools.partial) else model",
                  "    method = sub_stepped_rk4(SUBSTEPS) if SUBSTEPS > 1 else 'rk4'",
                  "    sim.IF_cond_exp.brian2_model = functools.partial(model, method=method)"]
    if simulator == "nest" and "IF_curr_delta" in kinds.values():
        lines += ["    # pyNN.nest 0.13 maps no state variable for IF_curr_delta; iaf_psc_delta calls v V_m",
                  "    if not getattr(sim.IF_curr_delta, 'variable_map', None):",
                  "        sim.IF_curr_delta.variable_map, sim.IF_curr_delta.scale_factors = {'v': 'V_m'}, {'v': 1}"]
    for p in plain["populations"]:
        name = p["name"]
        grid = f", structure=Grid2D(aspect_ratio={p['grid'][1] / p['grid'][0]!r})" if "grid" in p else ""
        if p["kind"] == "SpikeSourceArray":
            if "channel_of" in p:
                orig, k, n = p["channel_of"]
                trains = (stim.get(orig) or [])[k * n:(k + 1) * n]
            else:
                trains = stim.get(name) or []
            if not any(len(t) for t in trains):
                trains = []   # sPyNNaker 7.4 fails on a list of only empty trains
            head = f"    pops[{name!r}] = sim.Population({p['size']}, sim.SpikeSourceArray(spike_times="
            lines.append(f"{head}{_indent(_lit(trains), len(head))}), label={name!r}{grid})")
        else:
            args = ", ".join(f"{k}={v!r}" for k, v in p["params"].items())
            extra = ""
            if p.get("max_expected_summed_weight") and simulator == "spinnaker":   # ring-buffer sizing override
                extra = f",\n        additional_parameters={{'max_expected_summed_weight': {p['max_expected_summed_weight']!r}}}"
            lines.append(f"    pops[{name!r}] = sim.Population({p['size']}, sim.{p['kind']}({args}), label={name!r}"
                         f"{extra}{grid})")
            u = f", u={p['u_init']!r}" if "u_init" in p else ""        # Izhikevich
            lines.append(f"    pops[{name!r}].initialize(v={p['v_init']!r}{u})")
        if "grid" in p:
            lines.append(f"    pops[{name!r}].set_max_atoms_per_core(({min(p['grid'][1], 16)}, {min(p['grid'][0], 16)}))")
        if p["record_spikes"]:
            lines.append(f"    pops[{name!r}].record('spikes')")
    for pr in plain["projections"]:
        if pr.get("connector") in ("convolution", "pool_dense"):
            lines += _local_only(pr)
            continue
        if not pr["connections"]:
            continue
        conn = [tuple(c) for c in pr["connections"]]
        rule = pr["stdp"]
        if rule is None:
            synapse = "sim.StaticSynapse()"
        else:
            ddf = "" if simulator == "spinnaker" else f", dendritic_delay_fraction={rule['dendritic_delay_fraction']!r}"
            synapse = (f"sim.STDPMechanism(\n            timing_dependence=sim.SpikePairRule(tau_plus={rule['tau_plus']!r}, "
                       f"tau_minus={rule['tau_minus']!r}, A_plus={rule['A_plus']!r}, A_minus={rule['A_minus']!r}),\n"
                       f"            weight_dependence=sim.{rule['weight_dependence'].capitalize()}WeightDependence("
                       f"w_min={rule['w_min']!r}, "
                       f"w_max={rule['w_max']!r}),\n            weight=0.0, delay={pr['delay']!r}{ddf})")
        unit = {"IF_curr_delta": "mV" if simulator != "spinnaker" else "nA", "IF_cond_exp": "uS",
                "Izhikevich": "mV" if simulator != "spinnaker" else "nA"}.get(kinds[pr["post"]], "nA")
        lines.append(f"    # {pr['name']}: (pre, post, weight {unit}, delay ms)")
        lines.append(f"    conn = {_indent(_lit(conn), 11)}")
        lines.append(f"    projs[{pr['name']!r}] = sim.Projection(\n        pops[{pr['pre']!r}], pops[{pr['post']!r}], "
                     f"sim.FromListConnector(conn, column_names=['weight', 'delay']),\n        {synapse},\n"
                     f"        receptor_type={pr['receptor']!r}, label={pr['name']!r})")
    for c in plain.get("current_sources", ()):
        args = ", ".join(f"{k}={v!r}" for k, v in c["params"].items())
        view = "" if c["neurons"] is None else f"[{c['neurons']!r}]"
        lines.append(f"    sim.{c['kind']}({args}).inject_into(pops[{c['population']!r}]{view})")
    lines.append("    return pops, projs")
    return "\n".join(lines)


def _local_only(pr) -> list:
    """sPyNNaker's own layer connector of one channel pair (backends/pynn/local_only.py)."""
    other = "inhibitory" if pr["receptor"] == "excitatory" else "excitatory"
    pool = None if pr["pool"] is None else (pr["pool"], pr["pool"])
    common = f"pool_shape={pool!r}, pool_stride={pool!r}, positive_receptor_type={pr['receptor']!r}, " \
             f"negative_receptor_type={other!r}"
    if pr["connector"] == "convolution":
        conn = (f"sim.ConvolutionConnector({_lit(pr['kernel'])}, padding={(pr['padding'],) * 2!r}, {common}), "
                f"sim.Convolution(delay={pr['delay']!r})")
    else:
        conn = f"sim.PoolDenseConnector({_lit(pr['weights'])}, {common}), sim.PoolDense(delay={pr['delay']!r})"
    return [f"    # {pr['name']}: sPyNNaker's {pr['connector']} connector (the kernel flipped: a convolution's)",
            f"    projs[{pr['name']!r}] = sim.Projection(pops[{pr['pre']!r}], pops[{pr['post']!r}],",
            f"        {_indent(conn, 8)}, label={pr['name']!r})"]


def _indent(text: str, n: int) -> str:
    return text.replace("\n", "\n" + " " * n)


def _brian2_timing(plain) -> str:
    plastic = [(pr["name"], pr["delay"]) for pr in plain["projections"] if pr["stdp"] is not None and pr["connections"]]
    multiplicative = [pr["name"] for pr in plain["projections"] if pr["stdp"] is not None and pr["connections"]
                      and pr["stdp"]["weight_dependence"] == "multiplicative"]
    return (f"PLASTIC_DELAYS = {plastic!r}  # (projection, delay ms)\n"
            f"MULTIPLICATIVE = {multiplicative!r}  # pyNN.brian2 writes additive equations for every rule\n\n\n"
            "def brian2_stdp_timing(projs):\n"
            '    """STDP sees a post spike one delay after it fires and a same-time post before the pre:\n'
            "    pyNN.brian2 sees a pre spike on arrival (after the delay d), so the post pathway is delayed\n"
            '    by 2 d and runs first (spikemem docs/stdp.md, "PyNN simulators")."""\n'
            "    import brian2\n"
            "    for name, delay in PLASTIC_DELAYS:\n"
            "        for row in projs[name]._brian2_synapses.values():\n"
            "            for syn in row.values():\n"
            "                syn.post.delay = 2 * delay * brian2.ms\n"
            "                syn.post.order = syn.pre.order - 1\n"
            "                if name in MULTIPLICATIVE:     # steps scale with the room left (spikemem docs/stdp.md)\n"
            "                    syn.pre.code = syn.pre.code.replace('weight + w_max * M', 'weight + (weight - w_min) * M')\n"
            "                    syn.post.code = syn.post.code.replace('weight + w_max * P', 'weight + (w_max - weight) * P')")


_BRIAN2_ONE_SOURCE = '''def brian2_one_neuron_sources():
    """pyNN.brian2 0.13 evaluates a one-neuron SpikeSourceArray's times to one Sequence, not an
    array of one, and its SpikeGeneratorGroup fails: give it the array it expects."""
    import numpy as np
    from pyNN.brian2.cells import SpikeGeneratorGroup
    original = SpikeGeneratorGroup.__init__

    def init(self, n, equations, spike_time_sequences=None):
        if n == 1 and not isinstance(spike_time_sequences, np.ndarray):
            one = np.empty(1, dtype=object)
            one[0] = spike_time_sequences
            spike_time_sequences = one
        original(self, n, equations, spike_time_sequences)
    SpikeGeneratorGroup.__init__ = init'''


def _main(simulator: str, setup: dict, codegen: str, one_source: bool = False) -> str:
    pre = ""
    if simulator == "brian2":
        pre = ("    import brian2\n"
               f"    brian2.prefs.codegen.target = {codegen!r}\n"
               "    brian2.BrianLogger.suppress_name('synapses_dt_mismatch')\n"
               + ("    brian2_one_neuron_sources()\n" if one_source else ""))
    post = "    brian2_stdp_timing(projs)\n" if simulator == "brian2" else ""
    return f'''def spikes_of(pop, steps):
    """[[t_ms, neuron], ...] of a recorded population, the stimulus shift undone, sorted."""
    out = []
    for st in pop.get_data("spikes").segments[0].spiketrains:
        i = int(st.annotations["source_index"])
        for t in st.rescale("ms").magnitude:
            s = int(round(float(t) / DT)) - SHIFT
            if 0 <= s < steps:
                out.append((s, i))
    return [[_ms(s), i] for s, i in sorted(out)]


def _ms(step):
    t = round(step * DT, DECIMALS)
    return int(t) if t.is_integer() else t


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "spikes_{simulator}.json"))
    parser.add_argument("--duration", type=float, default=STEPS * DT, help="ms to simulate")
    args = parser.parse_args()
    steps = int(round(args.duration / DT))
{pre}    sim.setup(**{setup!r})
    pops, projs = build()
{post}    sim.run((steps + SHIFT) * DT)
    spikes = {{}}
    for name in RECORDED:      # a population split by channel: its parts, numbered on
        got = sorted((t, i + first) for part, first in PARTS[name] for t, i in spikes_of(pops[part], steps))
        spikes[name] = {{"size": sum(pops[part].size for part, _ in PARTS[name]),
                        "spikes_t_ms_neuron": [[t, i] for t, i in got]}}
    sim.end()
    tmp = args.out + ".tmp"                  # written aside, then renamed: a kill never leaves half a file
    with open(tmp, "w") as f:
        json.dump({{"format": {FORMAT!r}, "network": NAME, "simulator": SIMULATOR, "dt": DT,
                   "duration_ms": steps * DT, "populations": spikes}}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, args.out)
    print(f"{{sum(len(p['spikes_t_ms_neuron']) for p in spikes.values())}} spikes -> {{args.out}}")


if __name__ == "__main__":
    main()'''


def read_spikes(path) -> dict:
    """{population: [[t_ms, neuron], ...]} from a file an exported script wrote."""
    with open(path) as f:
        d = json.load(f)
    from spikemem.errors import FormatError
    if d.get("format") != FORMAT:
        raise FormatError(f"{path}: format={d.get('format')!r}, not {FORMAT!r}")
    return {name: p["spikes_t_ms_neuron"] for name, p in d["populations"].items()}
