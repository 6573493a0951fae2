"""Build PyNN objects from the plain description of lowering.py (the backend's way; an exported
script writes the same calls out one by one, see script.py)."""


def build(sim, plain, stimulus):
    """Populations and projections in the current PyNN simulator; stimulus maps source -> trains."""
    pops = {}
    for p in plain["populations"]:
        if p["kind"] == "SpikeSourceArray":
            trains = stimulus.get(p["name"]) or []
            if not any(len(t) for t in trains):
                trains = []   # sPyNNaker 7.4 fails on a list of only empty trains
            pop = sim.Population(p["size"], sim.SpikeSourceArray(spike_times=trains), label=p["name"])
        else:
            extra = {}
            if p.get("max_expected_summed_weight") and sim.__name__.endswith("spiNNaker"):
                extra["additional_parameters"] = {"max_expected_summed_weight": p["max_expected_summed_weight"]}
            pop = sim.Population(p["size"], getattr(sim, p["kind"])(**p["params"]), label=p["name"], **extra)
            pop.initialize(v=p["v_init"])
        if p["record_spikes"]:
            pop.record("spikes")
        if p.get("record_v"):
            pop.record("v")
        pops[p["name"]] = pop
    projs = {}
    for pr in plain["projections"]:
        if not pr["connections"]:
            continue
        connector = sim.FromListConnector([tuple(c) for c in pr["connections"]], column_names=["weight", "delay"])
        rule = pr["stdp"]
        if rule is None:
            synapse = sim.StaticSynapse()
        else:
            synapse = sim.STDPMechanism(
                timing_dependence=sim.SpikePairRule(tau_plus=rule["tau_plus"], tau_minus=rule["tau_minus"],
                                                    A_plus=rule["A_plus"], A_minus=rule["A_minus"]),
                weight_dependence=sim.AdditiveWeightDependence(w_min=rule["w_min"], w_max=rule["w_max"]),
                weight=0.0, delay=pr["delay"], **_ddf(sim, rule))
        projs[pr["name"]] = sim.Projection(pops[pr["pre"]], pops[pr["post"]], connector, synapse,
                                           receptor_type=pr["receptor"], label=pr["name"])
    return pops, projs


def _ddf(sim, rule):
    """sPyNNaker's STDPMechanism takes no dendritic_delay_fraction (its delays are dendritic)."""
    if sim.__name__.endswith("spiNNaker"):
        return {}
    return {"dendritic_delay_fraction": rule["dendritic_delay_fraction"]}
