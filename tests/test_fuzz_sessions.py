"""Property tests (hypothesis): a live session refuses a bad run() (until_ms NaN, infinite,
negative, before the session's time, off the dt grid, a string, a bool, a 0-d array), malformed
inputs and damaged, truncated, foreign or wrong-version session files with declared errors
only, and a refused call leaves the session as it was: it goes on to give the spikes of a twin
session that never saw the call. A failed save leaves an old file whole."""
import errno
import io
import json
import math
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sessions import network

from spikemem import SpikeEvents, SpikememError, get_backend
from spikemem.errors import FormatError, OutputError, ValidationError

CI = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
BATCH = 2
NET = network()


def _session():
    return get_backend("reference").session(NET, batch=BATCH)


UNTIL = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, -1.0, -0.0, 0, 2.5, 1e19, 2**40, 2.0e9, 2**31 - 1, True, False, None, "10", b"10",
                     [10.0], np.array(10.0), np.float64(10.0), np.int64(10), np.float32(10.5), np.bool_(True),
                     complex(10, 0)]),
    st.integers(-3, 40), st.floats(-3, 40, allow_nan=False), st.floats(),
)
TIMES = st.one_of(st.sampled_from([[], [1.0], [math.nan], [-1.0], [0.5], ["x"], [None], [[1.0]], [1e19], [2**40]]),
                  st.lists(st.integers(0, 60).map(float), max_size=3))
TRAINS = st.one_of(
    st.lists(st.lists(TIMES, min_size=10, max_size=10), min_size=BATCH, max_size=BATCH),
    st.sampled_from([[], [[[]] * 10], [[[]] * 9] * BATCH, [3] * BATCH, ["ab"] * BATCH, [[[]] * 10, 5], np.zeros((2, 10))]),
)
EVENTS = st.builds(
    SpikeEvents,
    st.sampled_from([np.array([0]), np.array([1]), np.array([2]), np.array([-1]), np.array([0.5]), np.array([math.nan]),
                     np.array(["a"]), np.array([True]), np.array([0, 1]), 0, None]),
    st.sampled_from([np.array([30]), np.array([0]), np.array([2**31]), np.array([1e30]), np.array([30.0]),
                     np.array([30.5]), np.array([-5]), np.array([30, 31]), np.array([2**63], dtype=np.uint64)]),
    st.sampled_from([np.array([0]), np.array([9]), np.array([10]), np.array([-1]), np.array([0, 1]), np.array([0.0])]),
)
INPUTS = st.one_of(
    st.none(), st.sampled_from([[], [("S", [])], "S", 3, {3: []}, {"A": []}, {"S": None}, {"S": 3}, {"S": {"a": 1}}]),
    st.builds(lambda v: {"S": v}, TRAINS), st.builds(lambda v: {"S": v}, EVENTS),
)
CALL = st.one_of(st.tuples(st.just("run"), UNTIL, INPUTS), st.tuples(st.just("reset")),
                 st.tuples(st.just("load"), st.sampled_from(["cut", "empty", "text", "meta", "array", "other", "ok"]),
                           st.integers(0, 10**6)))


def _spikes(res):
    return {p: tuple(x.tolist() for x in v) for p, v in res.spikes.items()}


def _damaged(kind: str, at: int, good: bytes, tmp) -> str:
    """A session file damaged one way (or the good one, 'ok')."""
    path = tmp / f"{kind}.npz"
    if kind == "ok":
        path.write_bytes(good)
    elif kind in ("cut", "empty", "text"):
        path.write_bytes({"cut": good[:at % len(good)], "empty": b"", "text": b'{"format": "spikemem-session/1"}'}[kind])
    else:
        with np.load(io.BytesIO(good)) as z:
            files = {k: z[k] for k in z.files}
        meta = json.loads(str(files.pop("meta")))
        if kind == "meta":
            key = sorted(meta)[at % len(meta)]
            meta[key] = [None, -1, 1.5, "x", [1], 10**20, True, "spikemem-session/2"][at % 8]
        elif kind == "array":
            key = sorted(files)[at % len(files)]
            files[key] = [np.array(["x"]), np.full(files[key].shape, np.nan), np.zeros((0,)), files[key].astype(float) + 0.5,
                          files[key] * 0 - 1, files[key] + 10**6][at % 6]
        else:
            files.pop(sorted(files)[at % len(files)])
        with open(path, "wb") as f:
            np.savez(f, meta=np.array(json.dumps(meta)), **files)
    return str(path)


def _call(s, call, good, tmp):
    if call[0] == "run":
        return _spikes(s.run(call[1], call[2]))
    if call[0] == "reset":
        return s.reset()
    return s.load(_damaged(call[1], call[2], good, tmp))


def _check(calls, tmp):
    s, twin = _session(), _session()
    s.run(5.0)
    twin.run(5.0)
    seed = _session()
    seed.run(12.0, {"S": [[[6.0, 8.0]] * 10] * BATCH})
    good_path = tmp / "good.npz"
    seed.save(good_path)
    good = good_path.read_bytes()
    for call in calls:
        before = s.time_ms
        try:
            with np.errstate(all="ignore"):
                got = _call(s, call, good, tmp)
        except SpikememError:
            assert s.time_ms == before
            continue
        assert _call(twin, call, good, tmp) == got
    # the two sessions go on alike: equal state and equal later spikes
    assert s.time_ms == twin.time_ms
    until = s.time_ms + 20.0
    extra = {"S": [[[until - 15.0]] * 10] * BATCH}
    assert _spikes(s.run(until, extra)) == _spikes(twin.run(until, extra))


@CI
@given(st.lists(CALL, min_size=1, max_size=5))
def test_sessions_refuse_bad_calls_and_files_without_changing(tmp_path_factory, calls):
    _check(calls, tmp_path_factory.mktemp("sess"))


@pytest.mark.parametrize("until, match", [
    (math.nan, r"until_ms=nan: must be a finite number"), (-1.0, r"until_ms=-1.0: must be >= 0"),
    (2.5, r"until_ms=2.5: must be a multiple of dt=1 ms"), (True, r"until_ms=True: must be a number"),
    (3.0, r"until_ms=3.0: the session is already at 5 ms"), ("10", r"until_ms='10': must be a number"),
])
def test_a_refused_until_is_named(until, match):
    s = _session()
    s.run(5.0)
    with pytest.raises(ValidationError, match=match):
        s.run(until)


@pytest.mark.parametrize("inputs, match", [
    ("S", r"inputs='str': must map spike source names"),
    ({"S": [[["x"]] + [[]] * 9] * BATCH}, r"inputs\[S\]\[0\]\[0\]='?\[?'?x.*must be a list of spike times"),
    ({"S": [3, 3]}, r"inputs\[S\]\[0\]='int': must be a list of spike lists"),
    ({"S": SpikeEvents(np.array([0.5]), np.array([9]), np.array([0]))}, r"inputs\[S\]\.trial=0\.5: must be a whole number"),
    ({"S": SpikeEvents(np.array([0]), np.array([2**31]), np.array([0]))}, r"inputs\[S\]\.step=2147483648: out of range"),
])
def test_malformed_inputs_are_named(inputs, match):
    with pytest.raises(ValidationError, match=match):
        _session().run(10.0, inputs)


def test_a_window_beyond_the_memory_limit_is_refused_before_it_runs():
    from spikemem.engine import budget
    from spikemem.errors import ResourceError
    s, twin = _session(), _session()
    s.run(5.0)
    twin.run(5.0)
    with pytest.raises(ResourceError, match=r"from 5 to 2e\+09 ms.*the longest run that fits is"):
        s.run(2.0e9)
    with budget.memory_limit("64K"), pytest.raises(ResourceError, match="memory limit is"):
        s.run(400.0)
    assert s.time_ms == 5.0
    assert _spikes(s.run(40.0)) == _spikes(twin.run(40.0))


def test_an_empty_window_records_an_empty_v():
    s = _session()
    s.run(4.0)
    res = s.run(4.0)
    assert res.v["B"].shape == (BATCH, 0, 8)


@pytest.mark.parametrize("kind, at, error, match", [
    ("meta", 13, FormatError, r"step=100000000000000000000: must be <= 2147483647"),
    ("meta", 5, FormatError, r"recent=100000000000000000000: must be <="),
    ("array", 1, FormatError, r"holds NaN"),
    ("empty", 0, FormatError, r"not a saved spikemem session"),
])
def test_damaged_session_files_are_named(tmp_path, kind, at, error, match):
    seed = _session()
    seed.run(12.0)
    seed.save(tmp_path / "good.npz")
    path = _damaged(kind, at, (tmp_path / "good.npz").read_bytes(), tmp_path)
    with pytest.raises(error, match=match):
        _session().load(path)


@pytest.mark.parametrize("net", ["net.json", None, {}, 3])
def test_a_session_needs_a_network(net):
    with pytest.raises(ValidationError, match=r"network='\w+': must be a spikemem Network"):
        get_backend("reference").session(net, batch=1)
    with pytest.raises(ValidationError, match=r"network='\w+': must be a spikemem Network"):
        get_backend("reference").run(net, 5.0)


@pytest.mark.parametrize("batch, error, match", [
    (0, ValidationError, "batch=0: must be >= 1"), (True, ValidationError, "batch=True: must be an integer"),
    (1.0, ValidationError, "batch=1.0: must be an integer"), ("2", ValidationError, "batch='2': must be an integer"),
    (2**40, SpikememError, "memory limit"),
])
def test_a_bad_batch_is_refused(batch, error, match):
    with pytest.raises(error, match=match):
        get_backend("reference").session(NET, batch=batch)


def test_a_numpy_batch_is_an_integer():
    assert get_backend("reference").session(NET, batch=np.int64(2)).batch == 2


@pytest.mark.parametrize("path", [None, 3, ""])
def test_a_path_that_is_not_one_is_refused(tmp_path, path):
    with pytest.raises(ValidationError, match="path="):
        _session().save(path)
    with pytest.raises(ValidationError, match="path="):
        _session().load(path)


def test_a_failed_save_leaves_the_old_file_whole(tmp_path, monkeypatch):
    s = _session()
    s.run(8.0)
    path = tmp_path / "s.npz"
    s.save(path)
    old = path.read_bytes()
    s.run(20.0)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(np, "savez", full)
    with pytest.raises(OutputError, match="old file is unchanged"):
        s.save(path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.npz"]
    monkeypatch.undo()
    t = _session()
    t.load(path)
    assert t.time_ms == 8.0
    assert zipfile.is_zipfile(path)
