"""Pair STDP with additive or multiplicative weight dependence; every timing convention is a named field.

The defaults are sPyNNaker 7 (master after Oct 2021), the semantics that reproduce the
authors' SpiNNaker recordings of the CA3 memory (docs/stdp.md; docs/ca3_protocol.md, 5 Plasticity).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from ..errors import ValidationError
from . import validation


@dataclass(frozen=True)
class STDP:
    tau_plus: float = 20.0          # ms
    tau_minus: float = 20.0         # ms
    A_plus: float = 0.01            # nA, absolute (not scaled by w_max)
    A_minus: float = 0.012          # nA, absolute
    w_min: float = 0.0              # nA
    w_max: float = 1.0              # nA
    # STDP sees a post spike at t_post + dendritic_delay; None means the projection's delay
    # (sPyNNaker backprop_delay=True). 0 means the post spike is seen when it happens.
    dendritic_delay: float | None = None
    potentiate_at_zero: bool = False   # a pair with dt = 0 potentiates
    depress_at_zero: bool = True       # a pair with dt = 0 depresses (exp(0) = 1)
    traces: str = "all_to_all"         # or "nearest"
    clamp: str = "per_event"           # or "per_update": once per pre-spike update (sPyNNaker 6)
    transmit: str = "after_update"     # a pre spike delivers its weight after its own depression
    post_history: int | None = None    # keep only this many post events per neuron (SpiNNaker: 16)
    # A third factor: the name of a 1-neuron spike source; weight updates happen only in steps
    # where it spikes (traces evolve regardless). None: always plastic, as on SpiNNaker.
    gate: str | None = None
    # "additive": w += A_plus x, w -= A_minus y (nA); "multiplicative" (PyNN's
    # MultiplicativeWeightDependence): w += A_plus (w_max - w) x, w -= A_minus (w - w_min) y,
    # A_plus and A_minus dimensionless (docs/stdp.md)
    weight_dependence: str = "additive"

    def __post_init__(self):
        validation.positive("tau_plus", self.tau_plus)
        validation.positive("tau_minus", self.tau_minus)
        validation.non_negative("A_plus", self.A_plus)
        validation.non_negative("A_minus", self.A_minus)
        validation.finite("w_min", self.w_min)
        validation.finite("w_max", self.w_max)
        if not self.w_min <= self.w_max:
            raise ValidationError("w_max", self.w_max, f"must be >= w_min={self.w_min}")
        if self.dendritic_delay is not None:
            validation.non_negative("dendritic_delay", self.dendritic_delay)
        for f in ("potentiate_at_zero", "depress_at_zero"):
            if not isinstance(getattr(self, f), bool):
                raise ValidationError(f, getattr(self, f), "must be a bool")
        validation.choice("traces", self.traces, {"all_to_all", "nearest"})
        validation.choice("clamp", self.clamp, {"per_event", "per_update"})
        validation.choice("transmit", self.transmit, {"after_update", "before_update"})
        if self.post_history is not None:
            validation.integer("post_history", self.post_history, lo=2, hi=2**20)   # a placeholder plus events

        validation.choice("weight_dependence", self.weight_dependence, set(KINDS.values()))
        if self.weight_dependence == "multiplicative" and self.clamp == "per_update":
            raise ValidationError("clamp", self.clamp, "sums the potentiations of additive STDP; multiplicative "
                                                       "steps depend on the weight each one meets (use 'per_event')")
        if self.gate is not None:
            validation.name("gate", self.gate)
            if self.post_history is not None:
                raise ValidationError("gate", self.gate, "cannot be combined with post_history (SpiNNaker's deferred update)")

    def to_dict(self) -> dict:
        kind = next(k for k, v in KINDS.items() if v == self.weight_dependence)
        return {"kind": kind, **{f.name: getattr(self, f.name) for f in fields(self) if f.name != "weight_dependence"}}

    @classmethod
    def from_dict(cls, d: dict) -> "STDP":
        validation.mapping("plasticity", d)
        kind = validation.choice("plasticity.kind", d.get("kind"), set(KINDS))
        kwargs = {k: v for k, v in d.items() if k != "kind"}
        unknown = set(kwargs) - {f.name for f in fields(cls) if f.name != "weight_dependence"}
        if unknown:
            raise ValidationError("plasticity", sorted(unknown, key=str), "unknown STDP fields")
        return cls(**kwargs, weight_dependence=KINDS[kind])


KINDS = {"stdp_pair_additive": "additive", "stdp_pair_multiplicative": "multiplicative"}   # file kind -> rule
