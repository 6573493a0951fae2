"""The one vocabulary for checking what enters spikemem: description fields, files, operation
arguments, command-line flags and model configs.

Every check takes the field's name first and raises ValidationError(field, value, rule), so a
refusal always names the field, the offending value and the rule it breaks. Checks test the
type (bools are not numbers, a 0-d array is not a scalar), finiteness, range and, for times,
the dt grid and the largest representable step count. docs/validation.md lists the rules.
"""
from __future__ import annotations

import argparse
import math
import numbers

import numpy as np

from ..errors import ValidationError

# Step counts are stored as int32 in spike logs and as int64 everywhere else: a time, delay or
# duration beyond 2**31 - 1 steps cannot be represented and is refused.
MAX_STEPS = 2**31 - 1
# Threads (torch, NEST local_num_threads) and sweep worker processes: more than this is a typo,
# and a value past a C int overflows inside the library instead of being refused here.
MAX_THREADS = 1024
GRID_TOL = 1e-9        # relative tolerance of "on the dt grid" (binary fractions such as 0.1)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def number(field: str, value, *, lo=None, hi=None, lo_open: bool = False, hi_open: bool = False) -> float:
    """A finite real number in [lo, hi] (or the open bounds), as float."""
    if not _is_real(value):
        raise ValidationError(field, value, "must be a number")
    try:
        v = float(value)
    except (OverflowError, ValueError):
        raise ValidationError(field, value, "must be a finite number") from None
    if not math.isfinite(v):
        raise ValidationError(field, value, "must be a finite number")
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise ValidationError(field, value, f"must be {'>' if lo_open else '>='} {lo:g}")
    if hi is not None and (v >= hi if hi_open else v > hi):
        raise ValidationError(field, value, f"must be {'<' if hi_open else '<='} {hi:g}")
    return v


def finite(field: str, value) -> float:
    return number(field, value)


def positive(field: str, value) -> float:
    return number(field, value, lo=0, lo_open=True)


def non_negative(field: str, value) -> float:
    return number(field, value, lo=0)


def integer(field: str, value, *, lo=None, hi=None) -> int:
    """An integer (not a bool, not a float) in [lo, hi]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValidationError(field, value, "must be an integer")
    v = int(value)
    if lo is not None and v < lo:
        raise ValidationError(field, value, f"must be >= {lo}")
    if hi is not None and v > hi:
        raise ValidationError(field, value, f"must be <= {hi}")
    return v


def count(field: str, value) -> int:
    return integer(field, value, lo=0)


def threads(field: str, value) -> int:
    """A thread or worker-process count: an integer in [1, MAX_THREADS]."""
    return integer(field, value, lo=1, hi=MAX_THREADS)


def comma_integers(field: str, text, *, lo=None, hi=None, unique: bool = True) -> list:
    """A comma-separated list of integers (a flag such as --seeds 0,1,2 or --sizes 100,300),
    each checked by integer(); empty lists and (unique=True) repeats are refused."""
    if not isinstance(text, str):
        raise ValidationError(field, text, "must be comma-separated integers")
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            v = int(part)
        except ValueError:
            raise ValidationError(field, part, "must be an integer (comma-separated integers)") from None
        out.append(integer(field, v, lo=lo, hi=hi))
    if not out:
        raise ValidationError(field, text, "must name at least one")
    if unique and len(set(out)) != len(out):
        raise ValidationError(field, text, "names a value twice")
    return out


def boolean(field: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValidationError(field, value, "must be true or false")
    return bool(value)


def name(field: str, value) -> str:
    if not isinstance(value, str) or not value or not value.replace("_", "").replace("-", "").isalnum():
        raise ValidationError(field, value, "must be a non-empty name of letters, digits, '_' or '-'")
    return value


def choice(field: str, value, options):
    """One of `options`; unhashable values (lists, dicts) are refused, not crashed on."""
    try:
        ok = value in options
    except TypeError:
        ok = False
    if ok and isinstance(value, (bool, np.bool_)) and not any(isinstance(o, bool) for o in options):
        ok = False     # True == 1: a bool is not an option unless bools are
    if not ok:
        raise ValidationError(field, value, f"must be one of {sorted(options, key=str)}")
    return value


def network(field: str, value):
    """A spikemem Network (not its dict, a path or anything else)."""
    from .network import Network
    if not isinstance(value, Network):
        raise ValidationError(field, type(value).__name__, "must be a spikemem Network (Network.load(path) reads a "
                                                           "saved one)")
    return value


def sequence(field: str, value) -> list:
    """A list, tuple or 1-d array (not a string, not a mapping), as a list."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return value.tolist()
    if not isinstance(value, (list, tuple)):
        raise ValidationError(field, type(value).__name__, "must be a list")
    return list(value)


def mapping(field: str, value) -> dict:
    if not isinstance(value, dict):
        raise ValidationError(field, type(value).__name__, "must be an object (a mapping of names to values)")
    return value


# -- times on the dt grid ------------------------------------------------------------------------
def steps(field: str, value_ms, dt: float) -> int:
    """A time in ms (>= 0) as a whole number of dt steps, or refused: off the grid, not finite,
    or more steps than a run can represent (MAX_STEPS)."""
    v = non_negative(field, value_ms)
    n = v / dt
    if n > MAX_STEPS:
        raise ValidationError(field, value_ms, f"is {n:.3g} steps of dt={dt:g} ms; at most {MAX_STEPS} steps "
                                               f"({MAX_STEPS * dt:.6g} ms) can be represented")
    k = round(n)
    if abs(k * dt - v) > GRID_TOL * max(1.0, abs(v)):
        raise ValidationError(field, value_ms, f"must be a multiple of dt={dt:g} ms")
    return int(k)


def grid_steps(field: str, values_ms, dt: float, *, lo: float = 0.0, lo_open: bool = False) -> np.ndarray:
    """An array of times in ms as int64 steps, with the same rules as steps(), vectorised."""
    try:
        arr = np.asarray(values_ms, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(field, _brief(values_ms), "must hold numbers") from None
    bad = ~np.isfinite(arr) | ((arr <= lo) if lo_open else (arr < lo))
    if np.any(bad):
        raise ValidationError(field, arr[bad].ravel()[0].item(),
                              f"must be finite and {'>' if lo_open else '>='} {lo:g} ms")
    n = arr / dt
    if np.any(n > MAX_STEPS):
        raise ValidationError(field, arr[n > MAX_STEPS].ravel()[0].item(),
                              f"at most {MAX_STEPS} steps ({MAX_STEPS * dt:.6g} ms) can be represented")
    k = np.round(n)
    off = np.abs(k * dt - arr) > GRID_TOL * np.maximum(1.0, np.abs(arr))
    if np.any(off):
        raise ValidationError(field, arr[off].ravel()[0].item(), f"must be a multiple of dt={dt:g} ms")
    return k.astype(np.int64)


def spike_trains(field: str, value, n: int, dt: float) -> list:
    """A file's spike times: a list of n per-neuron lists of numbers in ms on the dt grid, as
    floats (a recording's times at or after its end are kept; a run never reaches them)."""
    if not isinstance(value, list) or len(value) != n:
        got = len(value) if isinstance(value, list) else type(value).__name__
        raise ValidationError(field, got, f"must be a list of {n} spike-time lists (one per neuron)")
    out = []
    for i, times in enumerate(value):
        times = sequence(f"{field}[{i}]", times)
        for t in times:
            number(f"{field}[{i}]", t)          # a number: not a bool, a string or null
        k = grid_steps(f"{field}[{i}]", times, dt)
        out.append([float(s * dt) if float(s * dt) == t else float(t) for s, t in zip(k.tolist(), times)])
    return out


def refractory_steps(tau_refrac, dt: float):
    """Steps a neuron is held after a spike (of one value or an array of them): ceil(tau_refrac / dt),
    the rule of sPyNNaker (neuron_model_lif_impl.h, T_refract = ceil(tau_refrac / timestep)) and of NEST's on-grid
    models, so an off-grid tau_refrac (PyNN's default 0.1 ms at dt = 1 ms) means what it means
    there: one whole step. docs/validation.md, refractory period."""
    n = np.asarray(tau_refrac, dtype=float) / dt
    if np.any(n > MAX_STEPS):
        raise ValidationError("tau_refrac", tau_refrac, f"at most {MAX_STEPS} steps of dt={dt:g} ms can be represented")
    steps = np.ceil(n - GRID_TOL * np.maximum(1.0, n)).astype(np.int64)
    return int(steps) if steps.ndim == 0 else steps


def _brief(value):
    """A short stand-in for a long value in a message."""
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of {len(value)}"
    return value


# -- command-line flags ----------------------------------------------------------------------------
def flag(check, kind=float, **rules):
    """An argparse `type=` that parses the text as `kind` (float or int) and applies `check`
    (a function of this module) with `rules`; a refusal is argparse's one-line error naming the
    flag, e.g. `argument --spacing: 'nan': must be a finite number`."""
    def parse(text):
        try:
            value = kind(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{text!r}: must be {'an integer' if kind is int else 'a number'}") from None
        try:
            return check("value", value, **rules)
        except ValidationError as e:
            raise argparse.ArgumentTypeError(f"{text!r}: {e.reason}") from None
    parse.__name__ = kind.__name__
    return parse


POSITIVE_INT = flag(integer, int, lo=1)     # counts: operations, sequences, samples, sizes, ...
