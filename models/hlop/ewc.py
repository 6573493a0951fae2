"""Elastic weight consolidation (Kirkpatrick et al. 2017), the regularisation baseline.

The diagonal Fisher of every task is estimated from squared minibatch gradients and summed
over tasks; the penalty pulls each weight towards its value after the previous task.
"""
from __future__ import annotations

import torch


class EWC:
    def __init__(self, lam: float):
        self.lam = float(lam)
        self.fisher = None
        self.anchor = None

    def penalty(self, model) -> torch.Tensor | float:
        if self.fisher is None:
            return 0.0
        return 0.5 * self.lam * sum((f * (w - a) ** 2).sum()
                                    for w, f, a in zip(model.weights, self.fisher, self.anchor))

    def consolidate(self, model, batches) -> None:
        fisher = [torch.zeros_like(w) for w in model.weights]
        n = 0
        for x, y in batches:
            logits, _ = model(x)
            loss = torch.nn.functional.cross_entropy(logits, y)
            grads = torch.autograd.grad(loss, list(model.weights))
            for f, g in zip(fisher, grads):
                f.add_(g.detach() ** 2 * len(y))
            n += len(y)
        fisher = [f / max(n, 1) for f in fisher]
        self.fisher = fisher if self.fisher is None else [a + b for a, b in zip(self.fisher, fisher)]
        self.anchor = [w.detach().clone() for w in model.weights]

    def state_dict(self) -> dict:
        return {"fisher": self.fisher, "anchor": self.anchor}

    def load_state_dict(self, d: dict, device) -> None:
        mv = (lambda xs: None if xs is None else [x.to(device) for x in xs])
        self.fisher, self.anchor = mv(d["fisher"]), mv(d["anchor"])
