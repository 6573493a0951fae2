"""Experience replay: a fixed memory of training examples per finished task, mixed into every minibatch.

After task t, `per_class` training examples of each of its classes (drawn with a seeded
generator) enter the memory for good. While a later task trains, each minibatch is joined by
`batch` examples drawn uniformly from the memory of all earlier tasks, each scored on its own
task's head (docs/continual_learning.md). The memory holds (task, index) pairs into the task's
training set, which is the same data a copy would hold.
"""
from __future__ import annotations

import torch


class ReplayMemory:
    def __init__(self, per_class: int, batch: int):
        self.per_class, self.batch = int(per_class), int(batch)
        self.tasks = torch.zeros(0, dtype=torch.long)
        self.rows = torch.zeros(0, dtype=torch.long)

    def add(self, task: int, labels: torch.Tensor, generator: torch.Generator) -> int:
        """Store per_class random examples of every class of `task` (labels: its training labels)."""
        labels = labels.cpu()
        order = torch.randperm(len(labels), generator=generator)
        keep = []
        for c in torch.unique(labels).tolist():
            keep.append(order[labels[order] == c][:self.per_class])
        rows = torch.sort(torch.cat(keep)).values if keep else torch.zeros(0, dtype=torch.long)
        self.tasks = torch.cat([self.tasks, torch.full_like(rows, task)])
        self.rows = torch.cat([self.rows, rows])
        return len(rows)

    def sample(self, generator: torch.Generator):
        """(tasks, rows) of `batch` memory examples drawn uniformly with replacement; None when empty."""
        if len(self.rows) == 0:
            return None
        pick = torch.randint(len(self.rows), (self.batch,), generator=generator)
        return self.tasks[pick], self.rows[pick]

    def state_dict(self) -> dict:
        return {"tasks": self.tasks.clone(), "rows": self.rows.clone()}

    def load_state_dict(self, d: dict) -> None:
        self.tasks, self.rows = d["tasks"].clone(), d["rows"].clone()
