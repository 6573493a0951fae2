"""Build PyNN objects from the plain description of lowering.py (the backend's way; an exported
script writes the same calls out one by one, see script.py). On pyNN.nest, native connectors
and static lists are connected with one nest.Connect each (no per-synapse Python)."""
import numpy as np

from .currents import inject
from .local_only import LOCAL_ONLY, ChannelGroup


def build(sim, plain, stimulus):
    """Populations and projections in the current PyNN simulator; stimulus maps source -> trains."""
    pops, groups = {}, {}
    for p in plain["populations"]:
        extra = {}
        if "grid" in p:        # one channel of a population split for sPyNNaker's layer connectors (local_only.py)
            extra["structure"] = _grid(p["grid"])
        if p["kind"] == "SpikeSourcePoisson":          # poisson="native": the simulator draws
            if sim.__name__.endswith("spiNNaker"):
                extra["additional_parameters"] = {"seed": p["trial_seed"]}
            pop = sim.Population(p["size"], sim.SpikeSourcePoisson(**p["params"]), label=p["name"], **extra)
            if hasattr(pop, "node_collection_source"):   # pyNN.nest starts its generators 1 ms late (origin)
                import nest
                nest.SetStatus(pop.node_collection_source, {"origin": 0.0})
        elif p["kind"] == "SpikeSourceArray":
            trains = _trains(stimulus, p)
            if not any(len(t) for t in trains):
                trains = []   # sPyNNaker 7.4 fails on a list of only empty trains
            pop = sim.Population(p["size"], sim.SpikeSourceArray(spike_times=trains), label=p["name"], **extra)
        else:
            if p.get("max_expected_summed_weight") and sim.__name__.endswith("spiNNaker"):
                extra["additional_parameters"] = {"max_expected_summed_weight": p["max_expected_summed_weight"]}
            # the start values with PyNN's default initial values: one initialize() (each costs NEST a
            # status read and write of every cell)
            init = {"v": p["v_init"], **({"u": p["u_init"]} if "u_init" in p else {})}
            pop = sim.Population(p["size"], getattr(sim, p["kind"])(**p["params"]), label=p["name"],
                                 initial_values=init, **extra)
        if "grid" in p:        # sPyNNaker splits a 2-D map into tiles of at most 16 x 16 neurons a core
            pop.set_max_atoms_per_core((min(p["grid"][1], 16), min(p["grid"][0], 16)))
        if p["record_spikes"]:
            pop.record("spikes")
        analog = (["v"] if p.get("record_v") else []) + list(p.get("record_gsyn", ()))
        if analog:
            pop.record(analog, **_sampling(plain))
        pops[p["name"]] = pop
        if "channel_of" in p:
            groups.setdefault(p["channel_of"][0], []).append(pop)
    projs = {}
    for pr in plain["projections"]:
        if not pr["synapses"]:
            continue
        if pr.get("connector") in LOCAL_ONLY:
            projs[pr["name"]] = sim.Projection(pops[pr["pre"]], pops[pr["post"]], *_local_only(sim, pr), label=pr["name"])
            continue
        connector, weight = _connector(sim, pr)
        rule = pr["stdp"]
        if rule is None:
            synapse = sim.StaticSynapse(weight=weight, delay=pr["delay"])
        else:
            synapse = sim.STDPMechanism(
                timing_dependence=sim.SpikePairRule(tau_plus=rule["tau_plus"], tau_minus=rule["tau_minus"],
                                                    A_plus=rule["A_plus"], A_minus=rule["A_minus"]),
                weight_dependence=_weight_dependence(sim, rule)(w_min=rule["w_min"], w_max=rule["w_max"]),
                weight=weight, delay=pr["delay"], **_ddf(sim, rule))
        projs[pr["name"]] = sim.Projection(pops[pr["pre"]], pops[pr["post"]], connector, synapse,
                                           receptor_type=pr["receptor"], label=pr["name"])
    pops.update({name: ChannelGroup(parts) for name, parts in groups.items()})
    inject(sim, pops, plain.get("current_sources", ()))
    return pops, projs


def _sampling(plain) -> dict:
    """record()'s sampling_interval where the description sets one (PyNN's default: every step)."""
    interval = plain.get("sampling_interval")
    return {} if interval is None else {"sampling_interval": interval}


def _trains(stimulus, p) -> list:
    """A source's spike trains (one channel's, for a split population)."""
    if "channel_of" in p:
        name, k, n = p["channel_of"]
        return (stimulus.get(name) or [[]] * ((k + 1) * n))[k * n:(k + 1) * n]
    return stimulus.get(p["name"]) or []


def _grid(hw):
    from pyNN.space import Grid2D
    return Grid2D(aspect_ratio=hw[1] / hw[0])        # width / height: sPyNNaker's atoms_shape (W, H)


def _local_only(sim, pr):
    """(connector, synapse type) of sPyNNaker's layer connectors (local_only.py)."""
    other = "inhibitory" if pr["receptor"] == "excitatory" else "excitatory"
    pool = None if pr["pool"] is None else (pr["pool"], pr["pool"])
    kw = dict(pool_shape=pool, pool_stride=pool, positive_receptor_type=pr["receptor"], negative_receptor_type=other)
    if pr["connector"] == "convolution":
        return (sim.ConvolutionConnector(np.array(pr["kernel"]), padding=(pr["padding"],) * 2, **kw),
                sim.Convolution(delay=pr["delay"]))
    return sim.PoolDenseConnector(np.array(pr["weights"]), **kw), sim.PoolDense(delay=pr["delay"])


def _weight_dependence(sim, rule):
    """PyNN's class of the rule's weight dependence (pyNN.brian2's is additive whatever the class:
    brian2_multiplicative rewrites its equations after the build)."""
    if rule.get("weight_dependence", "additive") == "multiplicative":
        return sim.MultiplicativeWeightDependence
    return sim.AdditiveWeightDependence


def _connector(sim, pr):
    """(PyNN connector, the synapse type's weight): native connectors carry one weight, a list
    carries a weight per connection."""
    kind = pr.get("connector", "from_list")
    if kind == "one_to_one":
        return _nest_rule(sim, sim.OneToOneConnector(), {"rule": "one_to_one"}), pr["weight"]
    if kind == "all_to_all":
        allow = pr["allow_self_connections"]
        rule = {"rule": "all_to_all", "allow_autapses": allow, "allow_multapses": False}
        return _nest_rule(sim, sim.AllToAllConnector(allow_self_connections=allow), rule), pr["weight"]
    conn = np.asarray(pr["connections"], dtype=float).reshape(-1, 4)
    connector = sim.FromListConnector(conn, column_names=["weight", "delay"])
    if pr["stdp"] is None:
        _nest_arrays(sim, connector, conn)
    return connector, 0.0


def _nest_connectors(sim):
    """pyNN.nest's connector mixin, or None for other simulators."""
    import sys
    import types
    if not isinstance(sim, types.ModuleType):
        return None
    return getattr(sys.modules.get(sim.__name__ + ".connectors"), "NESTConnectorMixin", None)


def _nest_rule(sim, connector, rule):
    """pyNN.nest: one nest.Connect with NEST's own rule, not PyNN's nest.Connect per post neuron
    (which made the build of a 1,000 x 1,000 memory 20x longer than its run)."""
    mixin = _nest_connectors(sim)
    if mixin is None:
        return connector

    def connect(projection):
        import nest
        syn = dict(mixin.synapse_parameters(connector, projection), synapse_label=projection.nest_synapse_label)
        # synapse_parameters scales weights nA -> pA; pyNN.nest's own connect then undoes that for
        # cells whose weights are mV (IF_curr_delta's receptor_scale), and so must this
        syn["weight"] = syn["weight"] * getattr(projection.post.celltype, "receptor_scale", 1.0)
        nest.Connect(projection.pre.node_collection, projection.post.node_collection, dict(rule),
                     _without_defaults(syn))
        _bookkeeping(projection, [int(i) for i in projection.pre.all_cells])
    connector.connect = connect
    return connector


def _without_defaults(syn: dict) -> dict:
    """The synapse spec without the one-value parameters the model already has as defaults (pyNN.nest
    sets an STDP projection's as the model's defaults): NEST sets those given in the spec synapse by
    synapse, which made a 1,000 x 1,000 plastic projection's Connect six times longer."""
    import nest
    defaults = nest.GetDefaults(syn["synapse_model"])
    keep = {"synapse_model", "synapse_label", "weight", "delay"}
    return {k: v for k, v in syn.items() if k in keep or np.ndim(v) or k not in defaults or defaults[k] != v}


def _bookkeeping(projection, sources):
    """What pyNN.nest's own connect records (its GetConnections over every synapse costs more
    than the connecting): every pre neuron of these rules is a source."""
    projection._simulator.state.stale_connection_cache = True
    projection._sources.update(sources)


# post cell types whose static lists go to NEST in one Connect: their weights are nA or uS (NEST: pA
# or nS; no receptor_scale) and their receptors NEST's sign (negative inhibition)
ONE_CONNECT_CELLS = ("IF_curr_exp", "IF_cond_exp")


def _nest_arrays(sim, connector, conn):
    """pyNN.nest, static synapses: the whole list in one nest.Connect of node-id arrays (PyNN's
    own FromListConnector connects post neuron by post neuron: 9 s of the VA COBA network's build)."""
    if _nest_connectors(sim) is None or not len(conn):
        return

    def connect(projection):
        import copy

        import nest
        # checked for these cell types, in one process (under MPI every rank would add every pair)
        if type(projection.post.celltype).__name__ not in ONE_CONNECT_CELLS or \
                projection._simulator.state.num_processes > 1:
            return type(connector).connect(connector, projection)
        params = copy.deepcopy(projection.synapse_type.parameter_space)   # PyNN's units to NEST's (nA -> pA)
        params.shape = (len(conn),)
        params.update(weight=conn[:, 2], delay=conn[:, 3])
        params = projection.synapse_type.translate(params)
        params.evaluate()
        weight = _per_pair(params["weight"], len(conn))
        if projection.receptor_type == "inhibitory" and projection.post.conductance_based:
            weight = -weight        # NEST's sign of an inhibitory conductance (PyNN's connect does the same)
        src, pre_ids = conn[:, 0].astype(np.int64), np.asarray(projection.pre.all_cells, dtype=np.int64)
        pre = pre_ids[src]
        post = np.asarray(projection.post.all_cells, dtype=np.int64)[conn[:, 1].astype(np.int64)]
        nest.Connect(pre, post, "one_to_one", {"synapse_model": projection.nest_synapse_model,
                                               "synapse_label": projection.nest_synapse_label,
                                               "weight": weight,
                                               "delay": _per_pair(params["delay"], len(conn))})
        _bookkeeping(projection, pre_ids[np.bincount(src, minlength=len(pre_ids)) > 0].tolist())   # O(n), not a sort
    connector.connect = connect


def _per_pair(values, n: int):
    """A 1-d float array of n entries: PyNN evaluates equal values (one pair, or all alike) to one."""
    return np.array(np.broadcast_to(np.asarray(values, dtype=float), (n,)))


def _ddf(sim, rule):
    """sPyNNaker's STDPMechanism takes no dendritic_delay_fraction (its delays are dendritic)."""
    if sim.__name__.endswith("spiNNaker"):
        return {}
    return {"dendritic_delay_fraction": rule["dendritic_delay_fraction"]}
