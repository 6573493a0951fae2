"""Elastic weight consolidation (Kirkpatrick et al. 2017), the regularisation baseline.

The diagonal Fisher of every task's shared weights (heads are per task) is estimated from
squared minibatch gradients and averaged over tasks (as the GPM/HAT baselines do); the penalty pulls each weight towards its value after
the previous task. Each weight's stiffness λ·F is capped at 1/lr so that plain SGD on the
penalty cannot overshoot and diverge (it did at λ·F·lr > 2 once several tasks had accumulated).
"""
from __future__ import annotations

import torch


class EWC:
    def __init__(self, lam: float, lr: float):
        self.lam, self.lr = float(lam), float(lr)
        self.fisher = None
        self.anchor = None

    def penalty(self, model) -> torch.Tensor | float:
        if self.fisher is None:
            return 0.0
        cap = 1.0 / (self.lr * self.lam)
        return 0.5 * self.lam * sum((f.clamp(max=cap) * (w - a) ** 2).sum()
                                    for w, f, a in zip(model.shared_weights(), self.fisher, self.anchor))

    def consolidate(self, model, batches, task: int) -> None:
        """batches: (x, y, task id) of the finished task; the shared weights' Fisher is averaged in."""
        weights = model.shared_weights()
        fisher = [torch.zeros_like(w) for w in weights]
        n = 0
        for x, y, tid in batches:
            logits, _ = model(x, task=tid)
            loss = torch.nn.functional.cross_entropy(logits, y)
            grads = torch.autograd.grad(loss, weights, allow_unused=True)
            for f, g in zip(fisher, grads):
                if g is not None:
                    f.add_(g.detach() ** 2 * len(y))
            n += len(y)
        fisher = [f / max(n, 1) for f in fisher]
        self.fisher = fisher if self.fisher is None else [(old * task + new) / (task + 1)
                                                          for old, new in zip(self.fisher, fisher)]
        self.anchor = [w.detach().clone() for w in weights]

    def state_dict(self) -> dict:
        return {"fisher": self.fisher, "anchor": self.anchor}

    def load_state_dict(self, d: dict, device) -> None:
        mv = (lambda xs: None if xs is None else [x.to(device) for x in xs])
        self.fisher, self.anchor = mv(d["fisher"]), mv(d["anchor"])
