"""`spikemem continual`: continual-learning runs (HLOP and baselines) with checkpoints, resume and export.

Every argument is checked (and the data located) before any training starts; a run writes
OUT/<method>/taskNN.pt after each task, result.json, OUT/accuracy.png, with several methods
OUT/methods.png (final accuracy per task, one line per method) and, for the first method, the
exported spikemem network OUT/<method>/network.json.
"""
from __future__ import annotations

import json
import os
import time

from spikemem.description import validation
from spikemem.description.validation import POSITIVE_INT, flag, integer, positive, threads
from spikemem.errors import ValidationError
from spikemem.files import atomic_write_text, check_folder, read_json
from spikemem.log import get_logger
from spikemem.optional import require

logger = get_logger(__name__)

RUN_FILE = "run.json"
NON_NEG_INT = flag(integer, int, lo=0)
SEED = flag(integer, int, lo=0, hi=2**63 - 1)
POS_FLOAT = flag(positive)
INPUT_SHAPE = {"digits": (1, 16, 16), "pmnist": (1, 28, 28), "split-mnist": (1, 28, 28), "cifar100": (3, 32, 32),
               "miniimagenet": (3, 84, 84), "five-datasets": (3, 32, 32)}            # one image
INPUT_SIZE = {k: c * h * w for k, (c, h, w) in INPUT_SHAPE.items()}                  # inputs per image
CLASSES = {"split-mnist": 2, "miniimagenet": 5}                                       # per task; else 10
EXPORT = {"export_samples": 100, "export_duration": 100.0, "board_calibration": 20}   # saved in run.json too: a resume exports alike
TUNABLE = ("tasks", "epochs", "timesteps", "seed", "device", "neuron", "hidden", "batch", "lr", "train_limit",
           "test_limit", "ewc_lambda", "spiking_lateral", "lateral_steps", "data_dir", "scenario", "arch",
           "channels", "proj_type", "replay_per_class", "joint_only", "orth_new_rows")


def register(sub):
    p = sub.add_parser("continual", help="continual learning (permuted and split benchmarks): HLOP and baselines",
                       description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default=None,
                   help="digits (offline, default), pmnist, split-mnist, cifar100, miniimagenet or five-datasets "
                        "(these need --data-dir)")
    p.add_argument("--method", default=None,
                   help="hlop, finetune, multitask, ewc, gpm, replay, hlop+replay or a comma list "
                        "(default: hlop,finetune)")
    p.add_argument("--scenario", default=None,
                   help="task (a head per task, chosen by the task id) or domain (one shared head); "
                        "default: domain for permuted datasets, task for split ones")
    p.add_argument("--arch", default=None, help="mlp, cnn or resnet18 (default: the dataset's network)")
    p.add_argument("--channels", type=_int_tuple, default=None, help="conv channels of --arch cnn (64,128,256)")
    p.add_argument("--proj-type", dest="proj_type", default=None,
                   help="conv projection: input (projected patches, default) or weight (G - G H^T H, faster)")
    p.add_argument("--replay-per-class", dest="replay_per_class", type=POSITIVE_INT, default=None,
                   help="replay memory: training examples kept per class of each task (50)")
    p.add_argument("--orth-new-rows", dest="orth_new_rows", action="store_const", const=True, default=None,
                   help="start each task's lateral rows orthogonal to the frozen ones (split-mnist default)")
    p.add_argument("--joint-only", dest="joint_only", action="store_const", const=True, default=None,
                   help="multitask: train once, jointly on all tasks, after the last one (the usual upper "
                        "bound; default: jointly on the tasks seen so far, after every task)")
    p.add_argument("--tasks", type=POSITIVE_INT, default=None, help="number of tasks (default: all of the dataset's)")
    p.add_argument("--epochs", type=POSITIVE_INT, default=None, help="epochs per task (pmnist 1, digits 10)")
    p.add_argument("--timesteps", type=POSITIVE_INT, default=None, help="SNN time steps T (pmnist 20, digits 10)")
    p.add_argument("--seed", type=SEED, default=None, help="seed of init, batch order and lateral init (2022)")
    p.add_argument("--device", default=None, help="cpu (default) or cuda")
    p.add_argument("--data-dir", dest="data_dir", default=None,
                   help="data folder: the 4 MNIST IDX files (pmnist, split-mnist), cifar-100-python/, "
                        "miniimagenet/, or the 5-Datasets files")
    p.add_argument("--out", default=None, help="output folder (default: continual-<dataset>[-N], a new one per run)")
    p.add_argument("--resume", default=None, metavar="DIR", help="continue the run in DIR from its last checkpoints")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument("--neuron", default=None, help="dsr (default) or bptt (snnTorch surrogate gradients)")
    p.add_argument("--spiking-lateral", dest="spiking_lateral", action="store_const", const=True, default=None,
                   help="quantise the lateral neurons as rate-coded spiking neurons")
    p.add_argument("--lateral-steps", dest="lateral_steps", type=POS_FLOAT, default=None,
                   help="time steps of the spiking lateral neurons (40)")
    p.add_argument("--hidden", type=POSITIVE_INT, default=None, help="hidden layer width (pmnist 800, digits 256)")
    p.add_argument("--batch", type=POSITIVE_INT, default=None)
    p.add_argument("--lr", type=POS_FLOAT, default=None)
    p.add_argument("--ewc-lambda", dest="ewc_lambda", type=POS_FLOAT, default=None)
    p.add_argument("--train-limit", dest="train_limit", type=NON_NEG_INT, default=None, help="use the first N training images")
    p.add_argument("--test-limit", dest="test_limit", type=NON_NEG_INT, default=None, help="use the first N test images")
    p.add_argument("--threads", type=flag(threads, int), default=1,
                   help="torch CPU threads (default 1: float sums, hence results, depend on the thread count)")
    p.add_argument("--export-samples", dest="export_samples", type=NON_NEG_INT, default=None,
                   help="test images per task run through the exported network on the reference engine "
                        "(default 100; 0: skip)")
    p.add_argument("--export-duration", dest="export_duration", type=POS_FLOAT, default=None,
                   help="ms per image on the reference engine (default 100)")
    p.add_argument("--board-calibration", dest="board_calibration", type=NON_NEG_INT, default=None,
                   help="training images per task used to tune the exported network's ring buffers for "
                        "SpiNNaker's fixed point (default 20; 0: score float and fixed only)")
    p.add_argument("--no-plot", dest="plot", action="store_false")
    p.add_argument("--progress", action="store_const", const=True, default=None,
                   help="force the per-task progress bar (default: when stderr is a terminal)")
    p.set_defaults(func=run_command)


# -- argument handling ----------------------------------------------------------------------
def _int_tuple(text: str) -> list:
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise ValidationError("channels", text, "must be comma-separated integers, e.g. 16,32,64") from None


def _methods(text) -> list:
    from .config import METHODS
    names = [m.strip() for m in (text or "hlop,finetune").split(",") if m.strip()]
    if not names:
        raise ValidationError("method", text, f"must name at least one of {METHODS}")
    for m in names:
        if m not in METHODS:
            raise ValidationError("method", m, f"unknown method; choose from {METHODS}")
    if len(set(names)) != len(names):
        raise ValidationError("method", text, "names a method twice")
    return names


def plan(args) -> dict:
    """Everything a run needs, fully validated; raises ValidationError before any work."""
    require("torch", "hlop")
    require("sklearn", "hlop")
    from .config import make_config
    from .train import check_device
    for k in ("dataset", "method", "out", "resume", "data_dir", "scenario", "arch", "proj_type", "device", "neuron"):
        if isinstance(getattr(args, k, None), str) and not getattr(args, k).strip():   # '' would mean the default
            raise ValidationError(k, getattr(args, k), "must not be empty (leave the flag out for the default)")
    if args.resume:
        saved = _load_run_file(args.resume)
        saved_args = {**EXPORT, **saved["args"]}      # run files of older versions lack the export settings
        for k in ("dataset", "method", *TUNABLE, *EXPORT):
            v = getattr(args, k, None)
            if v is not None and k != "data_dir" and v != saved_args.get(k):
                raise ValidationError(k, v, f"differs from the run being resumed ({saved_args.get(k)!r}); "
                                      "a resumed run keeps its settings")
        opts = {k: saved_args.get(k) for k in ("dataset", "method", *TUNABLE, *EXPORT)}
        if args.data_dir is not None:
            opts["data_dir"] = args.data_dir
        out = args.resume
    else:
        opts = {k: getattr(args, k) for k in ("dataset", "method", *TUNABLE)}
        opts.update({k: default if getattr(args, k) is None else getattr(args, k) for k, default in EXPORT.items()})
        opts["dataset"] = opts["dataset"] or "digits"
        out = args.out or _fresh_folder(f"continual-{opts['dataset']}")
    methods = _methods(opts["method"])
    overrides = {k: opts.get(k) for k in TUNABLE}
    if overrides.get("channels") is not None:
        overrides["channels"] = tuple(overrides["channels"])
    configs = {m: make_config(opts["dataset"], method=m, **overrides) for m in methods}
    cfg0 = configs[methods[0]]
    check_device(cfg0.device)
    if cfg0.dataset == "pmnist":
        from .data import find_mnist
        find_mnist(cfg0.data_dir)
    elif cfg0.dataset != "digits":
        from .split_data import check_files
        check_files(cfg0.dataset, cfg0.data_dir, cfg0.tasks)
    if args.threads is not None and args.threads < 1:
        raise ValidationError("threads", args.threads, "must be >= 1")
    args.export_samples = validation.integer("export_samples", opts["export_samples"], lo=0)
    args.export_duration = validation.positive("export_duration", opts["export_duration"])
    args.board_calibration = validation.integer("board_calibration", opts["board_calibration"], lo=0)
    if cfg0.arch == "mlp":             # the training estimate below is the MLP's; conv nets are not estimated
        _require_memory(cfg0, configs)
    if args.export_samples and cfg0.neuron == "dsr" and cfg0.arch != "resnet18":   # the deploy step, after training
        from .deploy_memory import require_deploy
        shape = INPUT_SHAPE[cfg0.dataset] if cfg0.arch == "cnn" else (INPUT_SIZE[cfg0.dataset],)
        require_deploy(cfg0.arch, shape, cfg0.hidden, cfg0.channels, CLASSES.get(cfg0.dataset, 10),
                       cfg0.tasks if cfg0.scenario == "task" else 1, args.export_samples, args.export_duration)
    check_folder(out, "resume" if args.resume else "out")
    if not args.resume and os.path.isdir(out) and os.path.exists(os.path.join(out, RUN_FILE)):
        raise ValidationError("out", out, "already holds a run; use --resume to continue it or choose another --out")
    return {"out": out, "methods": methods, "configs": configs, "args": opts}


def _require_memory(cfg0, configs) -> None:
    """Refuse, before the data is loaded, a model whose training cannot fit in memory: float32
    weights with their gradients, momentum and lateral copies, and a minibatch's activations
    over T time steps (kept for BPTT, a few per layer otherwise)."""
    from spikemem.engine import budget
    n_in, h = INPUT_SIZE[cfg0.dataset], cfg0.hidden
    params = n_in * h + h * h + h * 10 + 3 * h * sum(cfg0.dims_first)
    steps = cfg0.timesteps if cfg0.neuron == "bptt" else 4
    est = budget.Estimate(1, 0, fixed={"weights, gradients, lateral rows": 4 * 4 * params,
                                       "activations": 4 * 3 * cfg0.batch * (n_in + 2 * h) * steps * 4})
    budget.require(est, f"training a {n_in}-{h}-{h}-10 network (batch {cfg0.batch}, T={cfg0.timesteps})")


def _fresh_folder(stem: str) -> str:
    """The default output folder: stem, or stem-2, stem-3, ... when earlier runs are there."""
    k, out = 1, stem
    while os.path.exists(os.path.join(out, RUN_FILE)):
        k += 1
        out = f"{stem}-{k}"
    return out


def _load_run_file(folder) -> dict:
    path = os.path.join(folder, RUN_FILE)
    if not os.path.isfile(path):
        raise ValidationError("resume", folder, f"holds no {RUN_FILE}: not a `spikemem continual` output folder")
    saved = read_json(path, "resume")
    if not isinstance(saved, dict) or not isinstance(saved.get("args"), dict):
        raise ValidationError("resume", path, "is not a run file of `spikemem continual` (no 'args' object)")
    return saved


# -- the command ----------------------------------------------------------------------------
def run_command(args) -> int:
    p = plan(args)
    import torch

    from . import metrics
    from .train import Run, checkpoints, last_checkpoint, load_checkpoint, load_data
    if args.threads:
        torch.set_num_threads(args.threads)
    say = logger.info if args.json else print            # results: stdout, unless --json prints them
    os.makedirs(p["out"], exist_ok=True)
    run_file = os.path.join(p["out"], RUN_FILE)
    text = json.dumps({"args": p["args"]}, indent=1, allow_nan=False)
    if not (args.resume and os.path.isfile(run_file)):     # a resume keeps the run file as it is
        atomic_write_text(run_file, text)
    data = load_data(p["configs"][p["methods"][0]])
    results, runs = {}, {}
    for m in p["methods"]:
        cfg = p["configs"][m]
        folder = os.path.join(p["out"], m)
        run = Run(cfg, data=data, out_dir=folder, progress=args.progress,
                  log=lambda s, m=m: logger.info(f"[{m}] {s}"))
        if args.resume and checkpoints(folder):
            ck = last_checkpoint(folder)
            run.load_state(load_checkpoint(ck))
            logger.info(f"[{m}] resumed from {ck} ({run.next_task}/{cfg.tasks} tasks done)")
        logger.info(f"[{m}] {cfg.dataset}: {cfg.tasks} tasks, {cfg.epochs} epoch(s), T={cfg.timesteps}, device {cfg.device}")
        res = run.run()
        runs[m], results[m] = run, res
        say(f"[{m}] accuracy matrix (%, row i = after task i):\n{metrics.format_matrix(res['matrix'])}")
        say(f"[{m}] ACC {res['acc']:.2f} %  BWT {metrics.signed(res['bwt'])} %  ({res['seconds']:.1f} s training+eval)")
    first = p["methods"][0]
    if args.export_samples and getattr(runs[first].model, "neuron", "dsr") == "dsr":
        from spikemem.errors import UnsupportedFeature
        try:
            results[first]["export"] = _export(runs[first], os.path.join(p["out"], first), args, say)
        except UnsupportedFeature as e:
            results[first]["export"] = {"skipped": str(e)}
            logger.warning(f"export skipped: {e}")
    for m, res in results.items():
        atomic_write_text(os.path.join(p["out"], m, "result.json"), json.dumps(res, indent=1))
    if args.plot:
        try:
            from .plots import plot_methods, plot_results
            say(f"plot: {plot_results(results, os.path.join(p['out'], 'accuracy.png'))}")
            if len(results) > 1:
                say(f"plot: {plot_methods(results, os.path.join(p['out'], 'methods.png'), _title(p))}")
        except ImportError:
            logger.warning("plot skipped: matplotlib is not installed")
    if len(results) > 1:
        say("\nmethod       ACC (%)  BWT (%)  seconds")
        for m, res in results.items():
            say(f"{m:<11} {res['acc']:8.2f} {metrics.signed(res['bwt']):>8} {res['seconds']:8.1f}")
    if args.json:
        keep = ("acc", "bwt", "matrix", "seconds", "export")
        brief = {m: {k: r[k] for k in keep if k in r} for m, r in results.items()}
        print(json.dumps(brief[first] if len(brief) == 1 else {"methods": brief}))
    return 0


def _title(p) -> str:
    cfg = p["configs"][p["methods"][0]]
    return f"{cfg.dataset}, {cfg.tasks} tasks, {cfg.scenario}-incremental, {cfg.arch}: final accuracy per task"


def _export(run, folder, args, say) -> dict:
    """Export the trained network, save it, and score it on the reference engine beside torch."""
    import numpy as np
    import torch

    from .deploy_memory import require_deploy
    from .export import classify, to_network
    from .export_conv import cnn_to_network
    b, model = run.batches, run.model
    mean, std = _norm(run.data, 0)
    if run.cfg.arch in ("mlp", "cnn"):       # before anything is built, from the trained shapes (ResNets are refused)
        heads = model.head_w if model.multi_head else [model.weights[2] if run.cfg.arch == "mlp" else model.classifier]
        require_deploy(run.cfg.arch, b.shape if run.cfg.arch == "cnn" else (int(np.prod(b.shape)),), run.cfg.hidden,
                       [s.c_out for s in getattr(model, "specs", ())], int(heads[0].shape[0]), len(heads),
                       args.export_samples, args.export_duration)
    if run.cfg.arch == "mlp":
        n_in = int(np.prod(b.shape))
        net = to_network(model, *(np.repeat(np.atleast_1d(v), n_in // len(np.atleast_1d(v))) for v in (mean, std)))
    else:
        net = cnn_to_network(model, mean, std, b.shape)
    path = os.path.join(folder, "network.json")
    net.save(path)
    n = min(args.export_samples, b.size(0, "test"))
    t0 = time.perf_counter()
    snn, ref, ys, scored = [], [], [], []
    model.eval()
    for task in range(run.next_task):
        if not all(np.allclose(u, v) for u, v in zip(_norm(run.data, task), (mean, std))):
            continue                   # the network's input layer holds task 0's normalisation
        rows = torch.arange(min(n, b.size(task, "test")), device=run.dev)
        out = f"output{task}" if model.multi_head else "output"
        snn.append(classify(net, b.pixels(task, rows), args.export_duration, output=out))
        with torch.no_grad():
            x, y = b.batch(task, rows, "test")
            ref.append(model(x, task=task)[0].argmax(1).cpu().numpy())
        ys.append(y.cpu().numpy())
        scored.append(task)
    y, snn, ref = np.concatenate(ys), np.concatenate(snn), np.concatenate(ref)
    out = {"network": path, "samples_per_task": n, "duration_ms": args.export_duration, "tasks": scored,
           "reference_acc": float(100 * (snn == y).mean()), "torch_acc": float(100 * (ref == y).mean()),
           "agreement": float(100 * (snn == ref).mean()), "seconds": time.perf_counter() - t0}
    say(f"exported network -> {path}; on the reference engine ({n} test images x {len(scored)} tasks, "
        f"{args.export_duration:g} ms each): {out['reference_acc']:.2f} % vs torch {out['torch_acc']:.2f} % "
        f"(same class {out['agreement']:.1f} %)")
    # the board prediction of the PMNIST classifier (an MLP: fixed point does not model the conv
    # layers' local-only synapses, connector.convolution.fixed)
    if getattr(run.data, "kind", "permuted") == "permuted" and not model.multi_head and run.cfg.arch == "mlp":
        out["board"] = _board(net, path, run, n, args, say)
    out["seconds"] = time.perf_counter() - t0
    return out


def _norm(data, task: int):
    """Pixel mean and std (scalars, or one per channel) the task's images are normalised with."""
    if getattr(data, "kind", "permuted") == "split":
        t = data.tasks[task]
        return tuple(t.mean), tuple(t.std)
    return data.mean, data.std


def _board(net, path, run, n, args, say) -> dict:
    """Predict the board: the classifier under sPyNNaker's update in float and in a core's fixed
    point. Where fixed point costs accuracy, apply the fixes board users apply: tau_m moved to
    where a core's membrane gain is float's, ring buffers sized finer (tuned on training
    images); each is measured on the test images and saved in the network."""
    from .export import board_accuracy, membrane_on_grid, task_images, tune_for_board
    px, y = task_images(run.data, run.next_task, n)
    dur = args.export_duration
    acc = {num: board_accuracy(net, px, y, dur, num) for num in ("float", "fixed")}
    out = {"float_acc": acc["float"], "fixed_acc": acc["fixed"], "fixes": []}
    say(f"on SpiNNaker's update: float {acc['float']:.2f} %, fixed point {acc['fixed']:.2f} % (board prediction)")
    if acc["fixed"] >= acc["float"]:
        return out
    best = net
    grid = membrane_on_grid(net)
    if grid is not net:
        fix = {"fix": "tau_m on the s16.15 grid", "tau_m": {p.name: p.cell.tau_m for p in grid.populations
                                                            if not p.is_source},
               "float_acc": board_accuracy(grid, px, y, dur, "float"), "fixed_acc": board_accuracy(grid, px, y, dur, "fixed")}
        out["fixes"].append(fix)
        say(f"tau_m on the s16.15 grid ({', '.join(f'{v:.6g} ms' for v in sorted(set(fix['tau_m'].values())))}): "
            f"float {fix['float_acc']:.2f} %, fixed point {fix['fixed_acc']:.2f} %")
        best = grid
    if args.board_calibration:
        cx, cy = task_images(run.data, run.next_task, args.board_calibration, split="train")
        tuned, table = tune_for_board(best, cx, cy, dur, log=say)
        bits = max(table, key=lambda r: (r["agreement"], -r["rms_mV"]))["bits"]
        fix = {"fix": "ring buffers sized finer", "bits": bits, "calibration": table}
        if bits:
            fix["fixed_acc"] = board_accuracy(tuned, px, y, dur, "fixed")
            say(f"ring buffers sized {bits} bit(s) finer (max_expected_summed_weight): fixed point "
                f"{fix['fixed_acc']:.2f} %")
            best = tuned
        out["fixes"].append(fix)
    if best is not net:
        best.save(path)
        say(f"saved the board fixes in {path}")
    return out
