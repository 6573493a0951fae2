"""
Continual learning: HLOP against fine-tuning
============================================

A spiking network learns ten tasks one after another: the same handwritten digits, each task with
its own fixed permutation of the pixels. Trained naively (*fine-tuning*), every new task
overwrites what the earlier ones needed. HLOP (Hebbian learning based orthogonal projection, Xiao
et al., ICLR 2024) keeps, on every layer, lateral neurons that learn the subspace of the old tasks'
activity with a Hebbian rule, and projects each new weight update orthogonally to it.

This is what ``spikemem continual --dataset digits`` runs (the offline digits, 8x8 on a 16x16
canvas; no download), with the same settings and one torch thread, so the numbers are the
command's. It needs the ``[hlop]`` extra (torch, scikit-learn) and takes about two minutes.
"""
# %%
# Train both methods on the same data
# -----------------------------------
from spikemem.optional import missing

absent = missing(["torch", "sklearn"])
if absent:
    print(f"{', '.join(absent)} not installed here: pip install 'spikemem[hlop]' to run this tutorial")
else:
    import torch

    from spikemem.models.hlop import metrics
    from spikemem.models.hlop.config import make_config
    from spikemem.models.hlop.train import Run, load_data

    torch.set_num_threads(1)                      # as `spikemem continual`: the numbers depend on it
    print(f"torch {torch.__version__}")
    configs = {m: make_config("digits", method=m) for m in ("hlop", "finetune")}
    data = load_data(configs["hlop"])
    runs, results = {}, {}
    for method, cfg in configs.items():
        runs[method] = Run(cfg, data=data)
        results[method] = runs[method].run()
        print(f"{method}: {cfg.tasks} tasks, {cfg.epochs} epochs each, T = {cfg.timesteps}")

# %%
# The accuracy matrix
# -------------------
# Row *i* is the test accuracy on every task seen so far, after training task *i*. ACC is the mean
# of the last row; BWT (backward transfer) the mean change of each old task's accuracy from just
# after it was learned to the end: how much was forgotten.
if not absent:
    for method, res in results.items():
        print(f"[{method}] accuracy matrix (%, row i = after task i):\n{metrics.format_matrix(res['matrix'])}")
        print(f"[{method}] ACC {res['acc']:.2f} %  BWT {metrics.signed(res['bwt'])} %\n")

    from spikemem.models.hlop.plots import plot_methods, plot_results
    plot_results(results, "continual_accuracy.png")
    plot_methods(results, "continual_methods.png", "offline digits, 10 permuted tasks")

# %%
# The trained classifier as a spikemem network
# --------------------------------------------
# HLOP's network, with static weights, becomes a spikemem ``Network`` of IF_curr_exp neurons that
# any backend runs; here the reference engine classifies 200 test digits of the first task.
if not absent:
    import numpy as np

    from spikemem.models.hlop import export

    run = runs["hlop"]
    net = export.to_network(run.model, data.mean, data.std)
    pixels = (data.test_x[:200] * data.std + data.mean)[:, data.perms[0]]
    predicted = export.classify(net, pixels, duration_ms=100)
    print(f"{sum(p.size for p in net.populations)} neurons; task 1 on the reference engine: "
          f"{100 * np.mean(predicted == data.test_y[:200]):.1f} % of 200 test digits")
