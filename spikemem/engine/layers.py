"""Delivery of convolution and pooled dense projections from their structure (no synapse table).

Per step, the spikes of the pre population become a count per pre neuron and trial; the pooling
sums those counts over each pooled position (counts are small integers: exact), and the layer's
weights turn them into the input of every post neuron: one matrix product per kernel offset
(a convolution) or one for the whole matrix (pooled dense). The products run in the array
library's BLAS, so numpy and torch agree to rounding (relative 1e-15 in float64), not bit for bit
as the synapse-table delivery does (docs/connectivity.md); every synapse of the realised lists
gives the same input to rounding, which tests/test_layers.py checks against the table.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LayerBlock:
    """A static ConvolutionConnector or PoolDenseConnector projection, flattened."""

    name: str
    pre: str                # the pre population
    pre_off: int            # its start in the all-neuron index space
    connector: object
    col_off: int            # post columns in the (exc | inh) current columns
    n_post: int
    gain: float             # the projection's weight
    delay: int              # steps


class LayerDelivery:
    """One LayerBlock in an engine: input(counts) gives the (n_post, batch) weight arriving from a
    step's spike counts of the pre population, (n_pre, batch): neurons first, so that every
    product is one 2-d matrix product over all trials (BLAS), without a transposed copy."""

    def __init__(self, block: LayerBlock, ops, sign: float, col: int):
        c = block.connector
        self.block, self.ops, self.col = block, ops, col
        self.kind, self.in_shape, self.pooled = c.kind, c.in_shape, c.pooled
        self.pool = c.pool_stride
        scale = sign * block.gain / c.pool_area
        if c.kind == "convolution":
            k = c.kernel_weights * scale
            self.out_shape, self.strides, self.padding = c.out_shape, c.strides, c.padding
            self.taps = [(ky, kx, ops.array(np.ascontiguousarray(k[:, :, ky, kx])))
                         for ky in range(k.shape[2]) for kx in range(k.shape[3]) if np.any(k[:, :, ky, kx])]
        else:
            self.matrix = ops.array(np.ascontiguousarray(c.weights * scale))        # (n_post, features)

    def input(self, counts):
        B = counts.shape[1]
        c, h, w = self.in_shape
        x = counts.reshape(c, h, w, B)
        if self.pool is not None:              # every pre neuron to its pooled position
            (hp, wp), (sh, sw) = self.pooled, self.pool
            x = x[:, :hp * sh, :wp * sw].reshape(c, hp, sh, wp, sw, B).sum(4).sum(2)
        if self.kind == "pool_dense":
            return self.matrix @ x.reshape(-1, B)
        return self._convolve(x, B)

    def _convolve(self, x, B):
        ops, (c_out, ho, wo) = self.ops, self.out_shape
        (ph, pw), (sh, sw) = self.padding, self.strides
        c, hp, wp = x.shape[:3]
        if ph or pw:
            padded = ops.zeros((c, hp + 2 * ph, wp + 2 * pw, B))
            padded[:, ph:ph + hp, pw:pw + wp] = x
            x = padded
        out = ops.zeros((c_out, ho * wo * B))
        for ky, kx, k in self.taps:
            out += k @ x[:, ky:ky + sh * (ho - 1) + 1:sh, kx:kx + sw * (wo - 1) + 1:sw].reshape(c, ho * wo * B)
        return out.reshape(c_out * ho * wo, B)


def deliver(engine, bs, ns, t: int) -> None:
    """Step t's layer input into the engine's ring buffer (slot t + delay of each block)."""
    ops, by_pre, B = engine.ops, {}, engine.B
    for lay in engine.layers:
        b = lay.block
        if b.pre not in by_pre:
            n = lay.block.connector.n_pre
            tb, ti = ops.select((ns >= b.pre_off) & (ns < b.pre_off + n), bs, ns)
            by_pre[b.pre] = None if not len(tb) else ops.counts((ti - b.pre_off) * B + tb, n * B).reshape(n, B)
        counts = by_pre[b.pre]
        if counts is not None:
            slot = engine.ring[(t + b.delay) % engine.c.ring_len]
            slot[:, lay.col:lay.col + b.n_post] += lay.input(counts).T


def per_trial_bytes(connector) -> int:
    """Scratch memory of one trial's delivery (float64): counts, the pooled and padded map, a
    window, the product and the sum."""
    c, h, w = connector.in_shape
    hp, wp = connector.pooled
    if connector.kind == "pool_dense":
        return 8 * (c * h * w + c * hp * wp + 2 * connector.n_post)
    (ph, pw), (c_out, ho, wo) = connector.padding, connector.out_shape
    return 8 * (c * h * w + c * (hp + 2 * ph) * (wp + 2 * pw) + c * ho * wo + 3 * c_out * ho * wo)
