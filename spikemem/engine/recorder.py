"""The analog signals an engine run records: V and gsyn (exc, inh) of named populations, after
every step or every k-th (Recording.sampling_interval, as PyNN's record(sampling_interval=)).

Sample j of a window is the value after absolute step s_j, the j-th multiple of k at or after
the window's start; Result.sampling holds k. gsyn is a model's syn_now (NeuronModel): the
synaptic current (nA) or conductance (uS) just after the step's input was added.
"""
from __future__ import annotations

import numpy as np

from ..description import validation
from ..errors import UnsupportedFeature

GSYN = ("gsyn_exc", "gsyn_inh")


class AnalogRecorder:
    def __init__(self, engine, record):
        """record: a Recording, or a tuple of population names whose V is recorded every step."""
        c, ops = engine.c, engine.ops
        if isinstance(record, (tuple, list)):
            signals, self.every = ({"v": tuple(record)} if record else {}), 1
        else:
            signals = record.analog()
            interval = record.sampling_interval
            self.every = 1 if interval is None else validation.steps("recording.sampling_interval", interval, c.dt)
        self.engine = engine
        v = signals.get("v", ())
        self.v_idx = ops.index(np.concatenate([np.arange(c.offsets[p], c.offsets[p] + c.sizes[p]) for p in v])) \
            if v else None
        self.gsyn = []                       # (signal, population, model, its columns in model.syn_now)
        for signal in GSYN:
            for pop in signals.get(signal, ()):
                model, start = engine.model_of(pop)
                if not hasattr(model, "syn_now"):
                    raise UnsupportedFeature(f"recording.{signal}={pop!r}: this backend's library cell keeps no "
                                             "synaptic current the engine can read (record.gsyn)")
                local = start + np.arange(c.sizes[pop]) + (model.n if signal == "gsyn_inh" else 0)
                self.gsyn.append((signal, pop, model, ops.index(local)))
        self.v, self.g = [], [[] for _ in self.gsyn]

    def __bool__(self):
        return self.v_idx is not None or bool(self.gsyn)

    def sample(self, t: int) -> None:
        """After step t."""
        if t % self.every:
            return
        e = self.engine
        if self.v_idx is not None:
            self.v.append(e.ops.copy(e.V[:, self.v_idx]))
        for out, (_, _, model, cols) in zip(self.g, self.gsyn):
            out.append(model.syn_now[:, cols])

    def result(self) -> dict:
        """{"v": (B, samples, recorded neurons) or None, "gsyn_exc" / "gsyn_inh": {population:
        (B, samples, size)}, "every": k} as numpy arrays."""
        e = self.engine
        ops = e.ops

        def stack(parts, width):
            if parts:
                return ops.numpy(ops.stack(parts, 1))
            return np.zeros((e.B, 0, width), dtype=ops.numpy(e.V[:, :0]).dtype)    # an empty window

        out = {"v": stack(self.v, len(self.v_idx)) if self.v_idx is not None else None, "every": self.every}
        for signal in GSYN:
            out[signal] = {}
        for parts, (signal, pop, _, cols) in zip(self.g, self.gsyn):
            out[signal][pop] = stack(parts, len(cols))
        return out


def first_sample(start: int, every: int) -> int:
    """The first sampled step at or after `start`."""
    return -(-start // every) * every
