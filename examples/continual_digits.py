"""Continual learning on permuted digits with HLOP vs fine-tuning, then deployment on the reference engine.

Run: python examples/continual_digits.py   (offline; needs `pip install 'spikemem[hlop]'`, about 2 minutes)
"""
import numpy as np
import torch

from spikemem.models.hlop import export, metrics
from spikemem.models.hlop.config import make_config
from spikemem.models.hlop.train import Run


def main():
    torch.set_num_threads(1)
    runs = {}
    for method in ("hlop", "finetune"):
        run = Run(make_config("digits", method=method), log=lambda s, m=method: print(f"[{m}] {s}"))
        res = run.run()
        runs[method] = run
        print(f"{method}: ACC {res['acc']:.1f} %  BWT {res['bwt']:+.1f} %\n{metrics.format_matrix(res['matrix'])}")

    # deploy HLOP's network with static weights and classify task 1's test digits on the numpy engine
    run = runs["hlop"]
    d = run.data
    net = export.to_network(run.model, d.mean, d.std)
    pixels = (d.test_x[:200] * d.std + d.mean)[:, d.perms[0]]
    pred = export.classify(net, pixels, duration_ms=100)
    print(f"exported network ({sum(p.size for p in net.populations)} neurons) on the reference engine: "
          f"task 1 accuracy {100 * np.mean(pred == d.test_y[:200]):.1f} % on 200 test digits")


if __name__ == "__main__":
    main()
