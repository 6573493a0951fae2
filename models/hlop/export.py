"""Deploy a trained DSR network as a spikemem Network of IF_curr_exp neurons (rate conversion).

A DSR LIF layer maps its input to a spike fraction per step f = clamp(I·Δt/(τ·Vth), 0, 1)
(the rate view its gradient uses). Here every layer fires at rate ρ·f spikes per ms: near
non-leaky integrators whose synapses deliver a charge w·τ_syn per spike, so
w = W·(scale of the layer)·cm·θ/τ_syn. The input is a regular spike train at ρ·pixel per ms;
the normalisation offset −W·μ/σ comes from a bias source that fires every ms. Signed weights
become an excitatory and an inhibitory projection. The class is the output neuron with the
highest membrane potential at the end (the output neurons never fire).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from spikemem import (AllToAllConnector, IFCurrExp, Network, Population, Projection, Recording, Simulation,
                      SpikeEvents, SpikeSourceArray, get_backend)
from spikemem.description import validation
from spikemem.errors import UnsupportedFeature, ValidationError

V_REST = -65.0
THETA = 5.0          # mV between reset and threshold
TAU_SYN = 2.0        # ms
TAU_M = 1.0e4        # ms: leak negligible over a presentation
CM = 1.0             # nF
RATE = 0.2           # spikes per ms of a neuron at DSR spike fraction 1
V_OUT_THRESH = 3.0e4  # mV: output neurons never fire (SpiNNaker holds V as s16.15, |V| < 65536)


def to_network(model, mean: float, std: float, rate: float = RATE, scheme: str = "exact",
               name: str = "hlop_classifier") -> Network:
    """The trained classifier with static weights: input (+ bias source) → hidden1 → hidden2 → output."""
    from . import dsr        # torch: here only, so that scoring an exported run needs no torch
    if model.neuron != "dsr":
        raise UnsupportedFeature("export of the BPTT variant (only DSR networks have the rate map used here)")
    if not 0 < rate <= 1:
        raise ValidationError("rate", rate, "must be in (0, 1] spikes per ms")
    W1, W2 = (w.detach().cpu().double().numpy() for w in model.weights[:2])
    heads = _heads(model)
    v1, v2 = (max(float(v.detach()), dsr.VTH_BOUND) for v in model.vth)
    gain = CM * THETA / TAU_SYN                       # weight giving one spike per input spike
    k1 = dsr.DT / (dsr.TAU * v1)
    # the bias source fires every ms; its charge w·τ_syn per ms replaces the input offset −W·μ/σ
    # (mean and std: scalars, or one per input, e.g. per colour channel)
    mean = np.broadcast_to(np.asarray(mean, dtype=float), (W1.shape[1],))
    std = np.broadcast_to(np.asarray(std, dtype=float), (W1.shape[1],))
    bias = -rate * k1 * (W1 @ (mean / std))[None, :] * gain
    layers = [("input", "hidden1", W1.T * (k1 * gain / std[:, None])),
              ("bias", "hidden1", bias),
              ("hidden1", "hidden2", W2.T * (v1 / (dsr.TAU * v2)) * gain)]
    for out, W3, b3 in heads:      # a head per task (task scenario): one output population each
        layers.append(("hidden2", out, W3.T * (v2 / dsr.DT) * CM / TAU_SYN))
        if b3 is not None:
            layers.append(("bias", out, (rate * b3 * CM / TAU_SYN)[None, :]))
    return _assemble((W1.shape[1], W1.shape[0], W2.shape[0], heads[0][1].shape[0]), layers, scheme, name,
                     outputs=[out for out, _, _ in heads])


def _heads(model) -> list:
    """(population, weights, bias) of the shared classifier, or of every task's head."""
    if not getattr(model, "multi_head", False):
        return [("output", model.weights[2].detach().cpu().double().numpy(), None)]
    return [(f"output{t}", w.detach().cpu().double().numpy(), b.detach().cpu().double().numpy())
            for t, (w, b) in enumerate(zip(model.head_w, model.head_b))]


def _assemble(sizes, layers, scheme: str = "exact", name: str = "hlop_classifier", outputs=("output",)) -> Network:
    """The exported network of layer sizes (input, hidden1, hidden2, output) and (pre, post, W) layers;
    `outputs` names the output populations (one per task head)."""
    n_in, h1, h2, n_out = sizes
    cell = dict(cm=CM, tau_m=TAU_M, tau_syn_E=TAU_SYN, tau_syn_I=TAU_SYN, v_rest=V_REST, v_reset=V_REST,
                v_thresh=V_REST + THETA, tau_refrac=0.0)      # the rate map has no refractory period
    pops = [Population("input", n_in, SpikeSourceArray()), Population("bias", 1, SpikeSourceArray()),
            Population("hidden1", h1, IFCurrExp(**cell)), Population("hidden2", h2, IFCurrExp(**cell)),
            *[Population(out, n_out, IFCurrExp(**{**cell, "v_thresh": V_OUT_THRESH})) for out in outputs]]
    projs = [Projection(f"{pre}_{post}_{receptor[:3]}", pre, post, AllToAllConnector(), weight=part,
                        delay=1.0, receptor=receptor)
             for pre, post, W in layers
             for receptor, part in (("excitatory", np.maximum(W, 0.0)), ("inhibitory", np.maximum(-W, 0.0)))]
    return Network(pops, projs, Simulation(dt=1.0, scheme=scheme), Recording(spikes=(), v=tuple(outputs)), name=name)


def input_events(pixels: np.ndarray, duration_ms: float, rate: float = RATE) -> dict:
    """Regular spike trains: input neuron i fires at rate·pixel_i per ms; the bias source every ms."""
    pixels = np.clip(np.asarray(pixels, dtype=float), 0.0, 1.0)
    B, n = pixels.shape
    steps = validation.steps("duration_ms", duration_ms, 1.0)
    k = np.arange(1, steps + 1)[:, None, None]
    counts = np.floor(k * rate * pixels[None] + 1e-9)
    fire = np.diff(np.concatenate([np.zeros((1, B, n)), counts]), axis=0) > 0     # (steps, B, n)
    st, tr, nr = np.nonzero(fire)
    events = {"input": SpikeEvents.from_arrays(tr, st, nr, n, B, "inputs[input]")}
    bt, bs = np.meshgrid(np.arange(B), np.arange(steps), indexing="ij")
    events["bias"] = SpikeEvents.from_arrays(bt.ravel(), bs.ravel(), np.zeros(bt.size), 1, B, "inputs[bias]")
    return events


def classify(net: Network, pixels: np.ndarray, duration_ms: float = 200.0, rate: float = RATE,
             backend: str = "reference", chunk: int = 100, output: str = "output", **options) -> np.ndarray:
    """Predicted classes of raw pixels (in [0, 1], already permuted; images are flattened) on a spikemem
    backend, read from the output population `output` (output<t> for task t's head)."""
    return output_potentials(net, pixels, duration_ms, rate, backend, chunk, output, **options).argmax(axis=1)


def output_potentials(net: Network, pixels: np.ndarray, duration_ms: float = 200.0, rate: float = RATE,
                      backend: str = "reference", chunk: int = 100, output: str = "output", **options) -> np.ndarray:
    """(images, classes) membrane potentials of the output neurons at the end of each presentation."""
    be = get_backend(backend, **options)
    pixels = np.asarray(pixels).reshape(len(pixels), -1)
    out = []
    for b in range(0, len(pixels), chunk):
        res = be.run(net, duration_ms, inputs=input_events(pixels[b:b + chunk], duration_ms, rate))
        out.append(res.v[output][:, -1, :])
    return np.concatenate(out) if out else np.zeros((0, net.population(output).size))


# -- on a SpiNNaker board (docs/fixed_point.md) ----------------------------------------------
def on_board(net: Network, numerics: str = "fixed") -> Network:
    """The classifier as a board runs it: sPyNNaker's update (scheme 'spinnaker') and, for
    numerics='fixed', a core's fixed-point arithmetic."""
    return replace(net, simulation=Simulation(dt=net.simulation.dt, scheme="spinnaker", numerics=numerics))


def task_images(data, tasks: int, n: int, split: str = "test"):
    """(pixels in [0, 1], already permuted per task; labels) of the first n images of each task."""
    x, y = (data.test_x, data.test_y) if split == "test" else (data.train_x, data.train_y)
    n = min(n, len(y))
    px = np.concatenate([(x[:n] * data.std + data.mean)[:, data.perms[t]] for t in range(tasks)])
    return px, np.tile(y[:n], tasks)


def board_accuracy(net: Network, pixels, labels, duration_ms: float, numerics: str, chunk: int = 100) -> float:
    """Accuracy (%) of the classifier under sPyNNaker's update in float or fixed numerics."""
    return float(100 * (classify(on_board(net, numerics), pixels, duration_ms, chunk=chunk) == labels).mean())


def with_ring_buffer_bits(net: Network, bits: int) -> Network:
    """The network with every IF population's ring buffers sized `bits` powers of two below what
    sPyNNaker picks (max_expected_summed_weight = 0.75 * 2^(shift - bits)): finer weight steps
    for more risk of saturation, the override board users set for trained networks."""
    from spikemem.engine.board_weights import ring_buffer_shifts
    if bits == 0:
        return net
    shifts = ring_buffer_shifts(on_board(net))
    pops = [p if p.is_source else replace(p, max_expected_summed_weight=tuple(
        0.75 * 2.0 ** (s - bits) for s in shifts[p.name])) for p in net.populations]
    return replace(net, populations=tuple(pops))


def membrane_on_grid(net: Network) -> Network:
    """The network with each IF population's tau_m moved (by at most 25 %) to where a core's
    rounded exp(-dt/tau_m) gives the membrane float's gain (board_tau_m); the leak over a
    presentation barely changes (tau_m stays >> the presentation)."""
    from spikemem.engine.fixed_neurons import board_tau_m
    dt = net.simulation.dt
    pops = [p if p.is_source else replace(p, cell=replace(p.cell, tau_m=board_tau_m(p.cell, dt)))
            for p in net.populations]
    return net if all(a == b for a, b in zip(pops, net.populations)) else replace(net, populations=tuple(pops))


def tune_for_board(net: Network, calib_pixels, calib_labels, duration_ms: float, max_bits: int = 4, log=None):
    """Pick the ring-buffer sizing (0..max_bits below sPyNNaker's) whose fixed-point classifier is
    closest to the float one on calibration images: most same classes, then the smallest RMS
    difference of the output potentials (ties: the coarser, safer sizing).
    Returns (network, [{"bits", "agreement" %, "accuracy" %, "rms_mV"}, ...])."""
    target = output_potentials(on_board(net, "float"), calib_pixels, duration_ms)
    table, best = [], ((-1.0, 0.0), net)
    for bits in range(max_bits + 1):
        cand = with_ring_buffer_bits(net, bits)
        v = output_potentials(on_board(cand, "fixed"), calib_pixels, duration_ms)
        pred = v.argmax(axis=1)
        row = {"bits": bits, "agreement": float(100 * (pred == target.argmax(axis=1)).mean()),
               "accuracy": float(100 * (pred == calib_labels).mean()),
               "rms_mV": float(np.sqrt(np.mean((v - target) ** 2)))}
        table.append(row)
        if log:
            log(f"  ring buffers {bits} bit(s) finer than sPyNNaker's sizing: same class as float "
                f"{row['agreement']:.1f} %, output RMS difference {row['rms_mV']:.3f} mV (calibration)")
        if (row["agreement"], -row["rms_mV"]) > best[0]:
            best = ((row["agreement"], -row["rms_mV"]), cand)
    return best[1], table


def load_run(run_dir):
    """(exported network, task data, tasks trained) of a `spikemem continual` output folder."""
    import json
    import os

    from .config import make_config
    from .data import load_digits_tasks, load_pmnist
    path = os.path.join(run_dir, "run.json")
    if not os.path.isfile(path):
        raise ValidationError("hlop", run_dir, "holds no run.json: not a `spikemem continual` output folder")
    with open(path) as f:
        args = json.load(f)["args"]
    methods = [m.strip() for m in (args.get("method") or "hlop,finetune").split(",") if m.strip()]
    found = [m for m in methods if os.path.isfile(os.path.join(run_dir, m, "network.json"))]
    if not found:
        raise ValidationError("hlop", run_dir, "holds no exported network (<method>/network.json); "
                                               "run `spikemem continual` with --export-samples > 0")
    folder = os.path.join(run_dir, found[0])
    keys = ("tasks", "epochs", "timesteps", "seed", "hidden", "batch", "lr", "data_dir")
    cfg = make_config(args.get("dataset") or "digits", method=found[0], **{k: args.get(k) for k in keys})
    data = load_pmnist(cfg.data_dir, cfg.tasks) if cfg.dataset == "pmnist" else load_digits_tasks(cfg.tasks)
    tasks = cfg.tasks
    if os.path.isfile(os.path.join(folder, "result.json")):
        with open(os.path.join(folder, "result.json")) as f:
            tasks = len(json.load(f).get("matrix") or []) or tasks
    return Network.load(os.path.join(folder, "network.json")), data, tasks
