"""Memory operations, the vocabulary users and the harness think in (not spike times)."""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..errors import ValidationError

LEARN, RECALL_CUE, RECALL_CONTENT = "learn", "recall_cue", "recall_content"
KINDS = (LEARN, RECALL_CUE, RECALL_CONTENT)


@dataclass(frozen=True)
class Learn:
    address: int
    bits: frozenset
    kind = LEARN


@dataclass(frozen=True)
class Recall:
    address: int
    kind = RECALL_CUE


@dataclass(frozen=True)
class RecallContent:
    bits: frozenset
    kind = RECALL_CONTENT


@dataclass(frozen=True)
class Store:
    """Learn a pattern in an auto-associative memory (no address: spikemem.harness.oracle.IdealPatterns)."""
    bits: frozenset
    kind = LEARN


@dataclass(frozen=True)
class Outcome:
    """What a memory returned for one operation: the address set and the content bits.

    echo: for an expected learn, the forgotten old bits, which echo once (docs/ca3_protocol.md, 10) and are
    reported but not scored: a corrupted memory echoes its actual, not its ideal, old content.
    """

    addresses: frozenset
    bits: frozenset
    echo: frozenset = frozenset()

    def __str__(self):
        extra = f" (+{_fmt(self.echo)} echo)" if self.echo else ""
        return f"addr {_fmt(self.addresses)} bits {_fmt(self.bits)}{extra}"


def _fmt(s) -> str:
    return "{" + ",".join(str(x) for x in sorted(s)) + "}"


def check_address(address, C: int) -> int:
    if isinstance(address, (bool, np.bool_)) or not isinstance(address, numbers.Integral) or not 0 <= address < C:
        raise ValidationError("address", address, f"must be an integer in [0, {C})")
    return int(address)


def _items(field: str, value, limit: int) -> list:
    """The elements of a list-like argument (at most `limit`), or a ValidationError: a string, a
    number, a 0-d or 2-d array or an endless iterator is not a list of bits."""
    if isinstance(value, (str, bytes, dict)) or (isinstance(value, np.ndarray) and value.ndim != 1):
        raise ValidationError(field, value, "must be a flat list of values")
    try:
        it = iter(value)
    except TypeError:
        raise ValidationError(field, value, "must be a list (an iterable) of values") from None
    out = []
    for v in it:
        out.append(v)
        if len(out) > limit:
            raise ValidationError(field, f"more than {limit} values", "too many values")
    return out


def as_bits(bits=None, N: int = 0, *, pattern=None, allow_empty: bool = False) -> frozenset:
    """Bit indices, or a binary pattern of length N ('0110', bools or 0/1 numbers)."""
    if (bits is None) == (pattern is None):
        raise ValidationError("bits", bits, "give either bit indices or pattern=")
    if pattern is not None:
        vals = list(pattern) if isinstance(pattern, str) else _items("pattern", pattern, N)
        if len(vals) != N:
            raise ValidationError("pattern", pattern, f"must have length N={N}")
        out = set()
        for i, v in enumerate(vals):
            if isinstance(v, str) and v in ("0", "1"):
                v = int(v)
            if isinstance(v, (bool, np.bool_)) or (isinstance(v, numbers.Real) and v in (0, 1)):
                if v:
                    out.add(i)
            else:
                raise ValidationError(f"pattern[{i}]", v, "must be 0 or 1 (a binary pattern)")
        result = frozenset(out)
    else:
        result = set()
        for b in _items("bits", bits, 4 * N + 64):      # repeats are allowed, endless input is not
            if isinstance(b, (bool, np.bool_)) or not isinstance(b, numbers.Integral) or not 0 <= b < N:
                raise ValidationError("bits", b, f"bit index must be an integer in [0, {N})")
            result.add(int(b))
        result = frozenset(result)
    if not result and not allow_empty:
        raise ValidationError("bits", sorted(result), "must not be empty")
    return result
