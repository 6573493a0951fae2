"""Small validators shared by the description classes."""
from __future__ import annotations

import math
import numbers

from ..errors import ValidationError


def finite(field: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValidationError(field, value, "must be a finite number")
    return float(value)


def positive(field: str, value) -> float:
    v = finite(field, value)
    if v <= 0:
        raise ValidationError(field, value, "must be > 0")
    return v


def non_negative(field: str, value) -> float:
    v = finite(field, value)
    if v < 0:
        raise ValidationError(field, value, "must be >= 0")
    return v


def count(field: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValidationError(field, value, "must be an integer")
    if value < 0:
        raise ValidationError(field, value, "must be >= 0")
    return int(value)


def name(field: str, value) -> str:
    if not isinstance(value, str) or not value or not value.replace("_", "").replace("-", "").isalnum():
        raise ValidationError(field, value, "must be a non-empty name of letters, digits, '_' or '-'")
    return value


def choice(field: str, value, options) -> str:
    if value not in options:
        raise ValidationError(field, value, f"must be one of {sorted(options)}")
    return value


def steps(field: str, value_ms: float, dt: float) -> int:
    """Convert a time in ms to a whole number of steps, or refuse it."""
    n = round(value_ms / dt)
    if abs(n * dt - value_ms) > 1e-9 * max(1.0, abs(value_ms)):
        raise ValidationError(field, value_ms, f"must be a multiple of dt={dt} ms")
    return int(n)
