"""Connectors: which (pre, post) pairs a projection holds, PyNN vocabulary."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ValidationError
from . import validation


@dataclass(frozen=True)
class OneToOneConnector:
    """Neuron i to neuron i; both populations must have the same size."""

    kind = "one_to_one"

    def pairs(self, n_pre: int, n_post: int):
        i = np.arange(self.n_synapses(n_pre, n_post))
        return i, i

    def weight_shape(self, n_pre, n_post):
        return (n_pre,)

    def n_synapses(self, n_pre: int, n_post: int) -> int:
        """How many synapses pairs() would give, without building them."""
        if n_pre != n_post:
            raise ValidationError("connector", self.kind, f"needs equal sizes, got {n_pre} -> {n_post}")
        return n_pre

    def to_dict(self):
        return {"kind": self.kind}


@dataclass(frozen=True)
class AllToAllConnector:
    """Every pre to every post.

    allow_self_connections=False drops the i -> i pairs also between two different
    populations (sPyNNaker's behaviour, which the CA3 model relies on); the PyNN backend
    lowers it to an explicit list so that every simulator agrees.
    """

    allow_self_connections: bool = True

    kind = "all_to_all"

    def __post_init__(self):
        if not isinstance(self.allow_self_connections, bool):
            raise ValidationError("allow_self_connections", self.allow_self_connections, "must be a bool")

    def pairs(self, n_pre: int, n_post: int):
        pre, post = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")
        pre, post = pre.ravel(), post.ravel()
        if not self.allow_self_connections:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post

    def weight_shape(self, n_pre, n_post):
        return (n_pre, n_post)

    def n_synapses(self, n_pre: int, n_post: int) -> int:
        return n_pre * n_post - (0 if self.allow_self_connections else min(n_pre, n_post))

    def to_dict(self):
        return {"kind": self.kind, "allow_self_connections": self.allow_self_connections}


@dataclass(frozen=True, eq=False)
class FromListConnector:
    """Explicit (pre, post) pairs; weights and delays come from the projection."""

    conn_list: tuple = ()

    kind = "from_list"

    def __post_init__(self):
        rows = validation.sequence("conn_list", self.conn_list)
        if any(not isinstance(r, (list, tuple, np.ndarray)) or len(r) != 2 for r in rows):
            raise ValidationError("conn_list", _first_bad(rows), "must be (pre, post) pairs of indices >= 0")
        try:
            arr = np.array(rows, dtype=float).reshape(-1, 2)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError("conn_list", "entries", "must be (pre, post) pairs of indices >= 0") from None
        bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < 0) | (arr >= 2**62)
        if np.any(bad) or any(isinstance(x, (bool, np.bool_)) for r in rows for x in r):
            raise ValidationError("conn_list", _first_bad(rows, bad), "must be (pre, post) pairs of indices >= 0")
        pairs = arr.astype(np.int64)
        if len(np.unique(pairs, axis=0)) != len(pairs):
            raise ValidationError("conn_list", "duplicates", "each (pre, post) pair may appear once")
        object.__setattr__(self, "conn_list", tuple(map(tuple, pairs.tolist())))

    def pairs(self, n_pre: int, n_post: int):
        arr = np.asarray(self.conn_list, dtype=np.int64).reshape(-1, 2)
        bad = (arr[:, 0] >= n_pre) | (arr[:, 1] >= n_post)
        if bad.any():
            raise ValidationError("conn_list", tuple(arr[bad][0]), f"index out of range for sizes {n_pre} -> {n_post}")
        return arr[:, 0], arr[:, 1]

    def weight_shape(self, n_pre, n_post):
        return (len(self.conn_list),)

    def n_synapses(self, n_pre: int, n_post: int) -> int:
        self.pairs(n_pre, n_post)          # the list exists already: check its indices
        return len(self.conn_list)

    def to_dict(self):
        return {"kind": self.kind, "conn_list": [list(p) for p in self.conn_list]}

    def __eq__(self, other):
        return isinstance(other, FromListConnector) and self.conn_list == other.conn_list

    __hash__ = None


CONNECTORS = {c.kind: c for c in (OneToOneConnector, AllToAllConnector, FromListConnector)}


def _first_bad(rows, bad=None):
    if bad is not None:
        return rows[int(np.nonzero(bad.any(axis=1))[0][0])] if bad.any() else rows
    return next((r for r in rows if not isinstance(r, (list, tuple, np.ndarray)) or len(r) != 2), rows)


def connector_from_dict(d: dict):
    validation.mapping("connector", d)
    kind = validation.choice("connector.kind", d.get("kind"), set(CONNECTORS))
    kwargs = {k: v for k, v in d.items() if k != "kind"}
    known = {"one_to_one": set(), "all_to_all": {"allow_self_connections"}, "from_list": {"conn_list"}}[kind]
    if set(kwargs) - known:
        raise ValidationError("connector", sorted(set(kwargs) - known, key=str), f"unknown parameters for {kind}")
    if "conn_list" in kwargs:
        kwargs["conn_list"] = tuple(validation.sequence("connector.conn_list", kwargs["conn_list"]))
    return CONNECTORS[kind](**kwargs)
