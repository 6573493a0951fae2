"""Connectors: which (pre, post) pairs a projection holds, PyNN vocabulary."""
from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields

import numpy as np

from ..errors import ValidationError
from . import validation
from .layers import LAYER_CONNECTORS, layer_from_dict


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


class _RandomConnector:
    """What the seeded random connectors share (PyNN's Fixed* connectors, docs/connectivity.md).

    Their pairs are realised from `seed` (and the projection's name, so projections with one
    seed differ) by spikemem.description.realisation, the same on every backend; an array weight
    or delay is an (n_pre, n_post) matrix read at the realised pairs. allow_self_connections=False
    drops i -> i only where a projection connects a population to itself, as PyNN, NEST and
    sPyNNaker do (AllToAllConnector drops it between two populations too)."""

    def _check_common(self):
        for f in ("allow_self_connections", "with_replacement"):
            if hasattr(self, f) and not isinstance(getattr(self, f), bool):
                raise ValidationError(f, getattr(self, f), "must be a bool")
        validation.integer("seed", self.seed, lo=0, hi=2**63 - 1)

    def weight_shape(self, n_pre, n_post):
        return (n_pre, n_post)

    def pairs(self, n_pre: int, n_post: int):
        """The pairs of a projection between two populations, with the stream of no projection
        name; a Projection realises them with its own (spikemem.description.realisation.pairs)."""
        return self.realise(n_pre, n_post, same=False, key=())

    def _stream(self, key):
        from .random import generator
        return generator(self.seed, "connector", self.kind, *key)

    def to_dict(self):
        return {"kind": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass(frozen=True)
class FixedProbabilityConnector(_RandomConnector):
    """Each pair is connected with probability p_connect, independently (PyNN's connector)."""

    p_connect: float
    allow_self_connections: bool = True
    seed: int = 0

    kind = "fixed_probability"

    def __post_init__(self):
        validation.number("p_connect", self.p_connect, lo=0, hi=1)
        self._check_common()

    def n_synapses(self, n_pre: int, n_post: int, same: bool = False) -> int:
        """An upper bound that a realisation exceeds with probability below 1e-9 (the exact
        count needs the draw): the mean plus six standard deviations."""
        n, p = n_pre * n_post, float(self.p_connect)
        return min(n, int(math.ceil(n * p + 6.0 * math.sqrt(n * p * (1.0 - p)) + 1)))

    def realise(self, n_pre, n_post, same, key):
        """Geometric gaps between the connected pairs in row-major order: O(synapses)."""
        n, p = n_pre * n_post, float(self.p_connect)
        if not n or p == 0:
            return _empty()
        rng, flat, at = self._stream(key), [], -1
        while True:
            want = int((n - at) * p * 1.05) + 64
            # a gap past the end is as good as any larger one (and a tiny p draws gaps near 2**63)
            pos = at + np.cumsum(np.minimum(rng.geometric(p, want), n + 1))
            flat.append(pos[pos < n])
            if pos[-1] >= n:
                break
            at = int(pos[-1])
        flat = np.concatenate(flat)
        pre, post = flat // n_post, flat % n_post
        return _drop_self(pre, post, same and not self.allow_self_connections)


@dataclass(frozen=True)
class FixedNumberPreConnector(_RandomConnector):
    """Every post neuron gets n pre neurons drawn at random (with_replacement: repeats allowed)."""

    n: int
    allow_self_connections: bool = True
    with_replacement: bool = False
    seed: int = 0

    kind = "fixed_number_pre"

    def __post_init__(self):
        validation.count("n", self.n)
        self._check_common()

    def n_synapses(self, n_pre: int, n_post: int, same: bool = False) -> int:
        _fits(self, n_pre, same)
        return self.n * n_post

    def realise(self, n_pre, n_post, same, key):
        _fits(self, n_pre, same)
        post, pre = _per_row(self._stream(key), n_post, n_pre, self.n, self.with_replacement,
                             same and not self.allow_self_connections)
        order = np.lexsort((post, pre))
        return pre[order], post[order]


@dataclass(frozen=True)
class FixedNumberPostConnector(_RandomConnector):
    """Every pre neuron connects to n post neurons drawn at random (with_replacement: repeats allowed)."""

    n: int
    allow_self_connections: bool = True
    with_replacement: bool = False
    seed: int = 0

    kind = "fixed_number_post"

    def __post_init__(self):
        validation.count("n", self.n)
        self._check_common()

    def n_synapses(self, n_pre: int, n_post: int, same: bool = False) -> int:
        _fits(self, n_post, same)
        return self.n * n_pre

    def realise(self, n_pre, n_post, same, key):
        _fits(self, n_post, same)
        return _per_row(self._stream(key), n_pre, n_post, self.n, self.with_replacement,
                        same and not self.allow_self_connections)


@dataclass(frozen=True)
class FixedTotalNumberConnector(_RandomConnector):
    """n pairs drawn at random among all (with_replacement=True, PyNN's default: a pair may repeat)."""

    n: int
    allow_self_connections: bool = True
    with_replacement: bool = True
    seed: int = 0

    kind = "fixed_total_number"

    def __post_init__(self):
        validation.count("n", self.n)
        self._check_common()

    def n_synapses(self, n_pre: int, n_post: int, same: bool = False) -> int:
        self._allowed(n_pre, n_post, same)
        return self.n

    def _allowed(self, n_pre, n_post, same) -> int:
        """How many distinct pairs may be drawn; n must fit them."""
        allowed = n_pre * n_post - (n_pre if same and not self.allow_self_connections else 0)
        if self.n and (not allowed or (not self.with_replacement and self.n > allowed)):
            raise ValidationError("connector.n", self.n, f"more pairs than the {allowed} that {n_pre} -> {n_post} "
                                                         f"holds{'' if self.with_replacement else ' (with_replacement=False)'}")
        return allowed

    def realise(self, n_pre, n_post, same, key):
        allowed = self._allowed(n_pre, n_post, same)
        if not self.n:
            return _empty()
        rng = self._stream(key)
        k = rng.integers(0, allowed, self.n) if self.with_replacement else rng.choice(allowed, self.n, replace=False)
        k = np.sort(k)
        if same and not self.allow_self_connections:     # the allowed pairs of row i skip column i
            pre, c = k // (n_post - 1), k % (n_post - 1)
            return pre, c + (c >= pre)
        return k // n_post, k % n_post


def _empty():
    z = np.zeros(0, dtype=np.int64)
    return z, z


def _drop_self(pre, post, drop: bool):
    if not drop:
        return pre, post
    keep = pre != post
    return pre[keep], post[keep]


def _fits(conn, pool: int, same: bool) -> None:
    """n draws per neuron from a pool of `pool` (one fewer without self connections) must fit."""
    avail = pool - (1 if same and not conn.allow_self_connections else 0)
    if conn.n and avail <= 0:
        raise ValidationError("connector.n", conn.n, "no neuron to draw from")
    if not conn.with_replacement and conn.n > avail:
        raise ValidationError("connector.n", conn.n, f"more than the {avail} distinct neurons there are to draw "
                                                     "(with_replacement=False)")


def _per_row(rng, rows: int, cols: int, n: int, replace: bool, no_self: bool, chunk: int = 1 << 22):
    """n columns for every row, sorted within the row: (row, col) arrays in row-major order.
    no_self skips column i in row i. Without replacement: the n smallest of random keys per row,
    a chunk of rows at a time."""
    if not rows or not n:
        return _empty()
    width = cols - (1 if no_self else 0)
    out = []
    step = max(1, chunk // max(cols, 1))
    for lo in range(0, rows, step):
        r = np.arange(lo, min(rows, lo + step))
        if replace:
            c = rng.integers(0, width, (len(r), n))
        else:
            c = np.argpartition(rng.random((len(r), width)), n - 1, axis=1)[:, :n] if n < width else \
                np.broadcast_to(np.arange(width), (len(r), width)).copy()
        if no_self:
            c = c + (c >= r[:, None])
        out.append(np.sort(c, axis=1))
    col = np.concatenate(out).ravel().astype(np.int64)
    return np.repeat(np.arange(rows, dtype=np.int64), n), col


CONNECTORS = {c.kind: c for c in (OneToOneConnector, AllToAllConnector, FromListConnector, FixedProbabilityConnector,
                                  FixedNumberPreConnector, FixedNumberPostConnector, FixedTotalNumberConnector,
                                  *LAYER_CONNECTORS)}
RANDOM_CONNECTORS = (FixedProbabilityConnector, FixedNumberPreConnector, FixedNumberPostConnector,
                     FixedTotalNumberConnector)


def _first_bad(rows, bad=None):
    if bad is not None:
        return rows[int(np.nonzero(bad.any(axis=1))[0][0])] if bad.any() else rows
    return next((r for r in rows if not isinstance(r, (list, tuple, np.ndarray)) or len(r) != 2), rows)


def connector_from_dict(d: dict):
    validation.mapping("connector", d)
    kind = validation.choice("connector.kind", d.get("kind"), set(CONNECTORS))
    kwargs = {k: v for k, v in d.items() if k != "kind"}
    cls = CONNECTORS[kind]
    known = {"one_to_one": set(), "all_to_all": {"allow_self_connections"}, "from_list": {"conn_list"}}.get(kind) or \
        {f.name for f in fields(cls)}
    if set(kwargs) - known:
        raise ValidationError("connector", sorted(set(kwargs) - known, key=str), f"unknown parameters for {kind}")
    required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    missing = [f for f in required if f not in kwargs]
    if missing:
        raise ValidationError(f"connector.{missing[0]}", None, f"is missing (a {kind} connector needs {required})")
    if "conn_list" in kwargs:
        kwargs["conn_list"] = tuple(validation.sequence("connector.conn_list", kwargs["conn_list"]))
    if cls in LAYER_CONNECTORS:
        return layer_from_dict(cls, kwargs)
    return CONNECTORS[kind](**kwargs)
