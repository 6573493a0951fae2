"""Connectors of convolutional layers (sPyNNaker 7's ConvolutionConnector and PoolDenseConnector),
kept as structure: a kernel or a dense matrix, strides, padding and pooling. The engines deliver
them without synapse lists; sPyNNaker gets its own connectors where it can express them and every
other simulator the realised lists (docs/connectivity.md).

A population in a layer is C x H x W neurons, channel-major: neuron (c, y, x) has index
(c H + y) W + x, PyTorch's flattening. Pooling is sPyNNaker's: a pre neuron at (y, x) counts as
the pooled position (y // pool_stride, x // pool_stride), inside the pooled map of
(H // pool_stride, W // pool_stride) positions, with its weight divided by the pool's area
(pool_shape; pool_stride defaults to it), so pool_shape = pool_stride is average pooling. The
convolution is PyTorch's conv2d (a cross-correlation: sPyNNaker's kernel is this one flipped in
both axes). Weights are the kernel's (>= 0: the projection's receptor gives the sign) times the
projection's weight, a scalar gain.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ValidationError
from . import validation


def _pair(field: str, value, lo: int) -> tuple:
    """An int or a pair of ints (rows, columns), each >= lo."""
    if isinstance(value, (list, tuple, np.ndarray)):
        values = list(value)
        if len(values) != 2:
            raise ValidationError(field, value, "must be one integer or a pair (rows, columns)")
        return tuple(validation.integer(field, v, lo=lo, hi=2**20) for v in values)
    v = validation.integer(field, value, lo=lo, hi=2**20)
    return (v, v)


def _kernel(field: str, value, ndim: int) -> np.ndarray:
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(field, validation._brief(value), "must be an array of numbers") from None
    if arr.ndim != ndim or not arr.size:
        raise ValidationError(field, f"shape {arr.shape}", f"must be a non-empty {ndim}-d array")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValidationError(field, "values", "must be finite and >= 0 (the projection's receptor gives the sign)")
    arr.setflags(write=False)
    return arr


def _in_shape(value) -> tuple:
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise ValidationError("in_shape", value, "must be (channels, height, width)")
    return tuple(validation.integer("in_shape", v, lo=1, hi=2**24) for v in value)


class _Layer:
    """What both layer connectors share: the pre map, its pooling, equality and the file form."""

    def _check_pool(self):
        object.__setattr__(self, "in_shape", _in_shape(self.in_shape))
        if self.pool_shape is None:
            if self.pool_stride is not None:
                raise ValidationError("pool_stride", self.pool_stride, "needs pool_shape")
            return
        object.__setattr__(self, "pool_shape", _pair("pool_shape", self.pool_shape, 1))
        stride = self.pool_shape if self.pool_stride is None else _pair("pool_stride", self.pool_stride, 1)
        object.__setattr__(self, "pool_stride", stride)

    @property
    def pooled(self) -> tuple:
        """(height, width) of the pooled pre map."""
        _, h, w = self.in_shape
        if self.pool_stride is None:
            return h, w
        return h // self.pool_stride[0], w // self.pool_stride[1]

    @property
    def pool_area(self) -> int:
        return 1 if self.pool_shape is None else self.pool_shape[0] * self.pool_shape[1]

    @property
    def n_pre(self) -> int:
        return int(np.prod(self.in_shape))

    def weight_shape(self, n_pre, n_post):
        return ()                 # the projection's weight is a scalar gain

    def _sizes(self, n_pre: int, n_post: int) -> None:
        if n_pre != self.n_pre or n_post != self.n_post:
            raise ValidationError("connector", self.kind, f"needs {self.n_pre} -> {self.n_post} neurons "
                                                          f"(in_shape {self.in_shape}), got {n_pre} -> {n_post}")

    def _pooled_pre(self, c, py, px):
        """Every pre neuron of the pooled positions (c, py, px) (arrays): (index, k) with k the
        position's entry, so each pooled tap expands to pool_stride^2 pre neurons."""
        _, h, w = self.in_shape
        sh, sw = self.pool_stride or (1, 1)
        dy, dx = np.meshgrid(np.arange(sh), np.arange(sw), indexing="ij")
        y = py[:, None] * sh + dy.ravel()[None, :]
        x = px[:, None] * sw + dx.ravel()[None, :]
        return ((c[:, None] * h + y) * w + x).ravel(), np.repeat(np.arange(len(c)), sh * sw)

    def __eq__(self, other):
        return type(self) is type(other) and all(
            np.array_equal(getattr(self, f), getattr(other, f)) if isinstance(getattr(self, f), np.ndarray)
            else getattr(self, f) == getattr(other, f) for f in self.FIELDS)

    __hash__ = None

    def to_dict(self):
        d = {"kind": self.kind}
        for f in self.FIELDS:
            v = getattr(self, f)
            d[f] = v.tolist() if isinstance(v, np.ndarray) else (list(v) if isinstance(v, tuple) else v)
        return d


@dataclass(frozen=True, eq=False)
class ConvolutionConnector(_Layer):
    """kernel_weights (C_out, C_in, kh, kw) from a C_in x H x W map to the C_out x Ho x Wo map of
    PyTorch's conv2d with these strides and zero padding, after the pooling of the module doc."""

    kernel_weights: np.ndarray
    in_shape: tuple
    strides: tuple = (1, 1)
    padding: tuple = (0, 0)
    pool_shape: tuple | None = None
    pool_stride: tuple | None = None

    kind = "convolution"
    FIELDS = ("kernel_weights", "in_shape", "strides", "padding", "pool_shape", "pool_stride")

    def __post_init__(self):
        object.__setattr__(self, "kernel_weights", _kernel("kernel_weights", self.kernel_weights, 4))
        object.__setattr__(self, "strides", _pair("strides", self.strides, 1))
        object.__setattr__(self, "padding", _pair("padding", self.padding, 0))
        self._check_pool()
        if self.kernel_weights.shape[1] != self.in_shape[0]:
            raise ValidationError("kernel_weights", f"shape {self.kernel_weights.shape}",
                                  f"must have in_shape's {self.in_shape[0]} input channels")
        if min(self.out_shape[1:]) < 1:
            raise ValidationError("kernel_weights", f"shape {self.kernel_weights.shape}",
                                  f"is larger than the padded, pooled map {self.pooled} of in_shape {self.in_shape}")

    @property
    def out_shape(self) -> tuple:
        """(C_out, Ho, Wo) of the post population."""
        c_out, _, kh, kw = self.kernel_weights.shape
        (hp, wp), (sh, sw), (ph, pw) = self.pooled, self.strides, self.padding
        return c_out, (hp + 2 * ph - kh) // sh + 1, (wp + 2 * pw - kw) // sw + 1

    @property
    def n_post(self) -> int:
        return int(np.prod(self.out_shape))

    def _taps(self, axis: int):
        """(out position, kernel offset, pooled input position) of every valid tap along one axis."""
        k = self.kernel_weights.shape[2 + axis]
        n_out, n_in = self.out_shape[1 + axis], self.pooled[axis]
        o, t = np.meshgrid(np.arange(n_out), np.arange(k), indexing="ij")
        i = o * self.strides[axis] + t - self.padding[axis]
        ok = (i >= 0) & (i < n_in)
        return o[ok], t[ok], i[ok]

    def n_synapses(self, n_pre: int, n_post: int) -> int:
        self._sizes(n_pre, n_post)
        c_out, c_in = self.kernel_weights.shape[:2]
        sh, sw = self.pool_stride or (1, 1)
        return c_out * c_in * len(self._taps(0)[0]) * len(self._taps(1)[0]) * sh * sw

    def synapses(self, n_pre: int, n_post: int):
        """(pre, post, kernel weight / pool area) of every synapse, built at once (for the lists of
        simulators without the connector; the engines never build them)."""
        self._sizes(n_pre, n_post)
        c_out, c_in = self.kernel_weights.shape[:2]
        _, ho, wo = self.out_shape
        oy, ty, iy = self._taps(0)
        ox, tx, ix = self._taps(1)
        a = np.arange(len(oy))[:, None].repeat(len(ox), 1).ravel()
        b = np.arange(len(ox))[None, :].repeat(len(oy), 0).ravel()
        co, ci, k = (g.ravel() for g in np.meshgrid(np.arange(c_out), np.arange(c_in), np.arange(len(a)), indexing="ij"))
        post = (co * ho + oy[a[k]]) * wo + ox[b[k]]
        w = self.kernel_weights[co, ci, ty[a[k]], tx[b[k]]] / self.pool_area
        pre, rep = self._pooled_pre(ci, iy[a[k]], ix[b[k]])
        return pre, post[rep], w[rep]

    def pairs(self, n_pre: int, n_post: int):
        pre, post, _ = self.synapses(n_pre, n_post)
        return pre, post


@dataclass(frozen=True, eq=False)
class PoolDenseConnector(_Layer):
    """weights (n_post, C Hp Wp): every pooled position of the C x H x W pre map to every post
    neuron, the positions flattened channel-major (PyTorch's flatten after pooling)."""

    weights: np.ndarray
    in_shape: tuple
    pool_shape: tuple | None = None
    pool_stride: tuple | None = None

    kind = "pool_dense"
    FIELDS = ("weights", "in_shape", "pool_shape", "pool_stride")

    def __post_init__(self):
        object.__setattr__(self, "weights", _kernel("weights", self.weights, 2))
        self._check_pool()
        features = self.in_shape[0] * self.pooled[0] * self.pooled[1]
        if self.weights.shape[1] != features:
            raise ValidationError("weights", f"shape {self.weights.shape}",
                                  f"must be (n_post, {features}): one column per pooled position of {self.in_shape}")

    @property
    def n_post(self) -> int:
        return int(self.weights.shape[0])

    def n_synapses(self, n_pre: int, n_post: int) -> int:
        self._sizes(n_pre, n_post)
        sh, sw = self.pool_stride or (1, 1)
        return self.weights.size * sh * sw

    def synapses(self, n_pre: int, n_post: int):
        self._sizes(n_pre, n_post)
        c, (hp, wp) = self.in_shape[0], self.pooled
        f_c, f_y, f_x = (g.ravel() for g in np.meshgrid(np.arange(c), np.arange(hp), np.arange(wp), indexing="ij"))
        o, f = (g.ravel() for g in np.meshgrid(np.arange(self.n_post), np.arange(len(f_c)), indexing="ij"))
        pre, rep = self._pooled_pre(f_c[f], f_y[f], f_x[f])
        return pre, o[rep], (self.weights[o, f] / self.pool_area)[rep]

    def pairs(self, n_pre: int, n_post: int):
        pre, post, _ = self.synapses(n_pre, n_post)
        return pre, post


LAYER_CONNECTORS = (ConvolutionConnector, PoolDenseConnector)


def layer_from_dict(cls, kwargs: dict):
    """A layer connector from its file fields (lists as JSON holds them)."""
    for f in ("in_shape", "strides", "padding", "pool_shape", "pool_stride"):
        if isinstance(kwargs.get(f), list):
            kwargs[f] = tuple(kwargs[f])
    return cls(**kwargs)
