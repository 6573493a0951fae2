"""`spikemem continual` survives a kill at any point: every file it writes lands whole or not at
all, so the folder can always be resumed, and a resumed run ends exactly like an uninterrupted one.

Kills are injected at every write (just before and just after each file is renamed into place)
in a forked copy of the process, in the first run and again in the resume; the slow test kills
real subprocesses at random moments with SIGKILL."""
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

ARGS = ["continual", "--dataset", "digits", "--method", "hlop", "--tasks", "2", "--epochs", "1", "--timesteps", "2",
        "--hidden", "16", "--train-limit", "60", "--test-limit", "30", "--threads", "1", "--no-plot",
        "--export-samples", "2", "--export-duration", "5"]


def _forked(argv, kill_at=None):
    """Run `spikemem argv` in a forked child; kill_at=(k, 'before'|'after') ends it with os._exit
    at its k-th file rename, as a SIGKILL would. Returns (exit status, renames done)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # the child: never returns
        os.close(r)
        try:
            from spikemem.cli import main
            real, count = os.replace, [0]

            def replace(src, dst):
                count[0] += 1
                if kill_at == (count[0], "before"):
                    os._exit(137)
                real(src, dst)
                os.write(w, b".")
                if kill_at == (count[0], "after"):
                    os._exit(137)
            os.replace = replace
            with open(os.environ.get("SPIKEMEM_TEST_CHILD_LOG", os.devnull), "a") as log:
                sys.stdout = sys.stderr = log
                rc = main(argv)
        except BaseException:
            rc = 99
        os._exit(rc)
    os.close(w)
    done = b""
    while chunk := os.read(r, 1024):
        done += chunk
    os.close(r)
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return status, len(done)


def _result(folder):
    res = json.loads((folder / "hlop" / "result.json").read_text())
    return res["matrix"], res["acc"], res["export"]["reference_acc"]


def _finish(folder):
    """Resume (or start, if the kill came before anything was saved) until the run completes."""
    argv = ["continual", "--resume", str(folder)] if (folder / "run.json").exists() else ARGS + ["--out", str(folder)]
    status, _ = _forked(argv)
    assert status == 0, (argv, status)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("uninterrupted") / "run"
    status, writes = _forked(ARGS + ["--out", str(folder)])
    assert status == 0 and writes >= 7          # run.json, 2 checkpoints + 2 configs, network, result
    return _result(folder), writes


def _kill_and_resume(reference, tmp_path, points):
    expected, writes = reference
    for k in points(writes):
        for when in ("before", "after"):
            folder = tmp_path / f"k{k}{when}"
            status, _ = _forked(ARGS + ["--out", str(folder)], kill_at=(k, when))
            assert status == 137
            assert not [p for p in folder.rglob("*") if p.is_file() and p.stat().st_size == 0]
            if (folder / "run.json").exists():       # a kill during the resume itself, at the same point
                status, _ = _forked(["continual", "--resume", str(folder)], kill_at=(1, when))
                assert status in (0, 137)
            _finish(folder)
            assert _result(folder) == expected, (k, when)


def test_a_kill_at_the_run_file_a_checkpoint_or_the_result_leaves_a_resumable_run(reference, tmp_path):
    """run.json (the first write), the first checkpoint, the result (the last write)."""
    _kill_and_resume(reference, tmp_path, lambda writes: (1, 2, writes))


@pytest.mark.slow
def test_a_kill_at_any_write_leaves_a_resumable_run(reference, tmp_path):
    _kill_and_resume(reference, tmp_path, lambda writes: range(1, writes + 1))


@pytest.mark.slow
def test_sigkill_at_random_moments_of_resumes(reference, tmp_path):
    """Real processes killed with SIGKILL at random moments, again and again, until one finishes."""
    expected, _ = reference
    rng = random.Random(11)
    for trial in range(5):
        folder = tmp_path / f"t{trial}"
        argv = [sys.executable, "-m", "spikemem.cli", *ARGS, "--out", str(folder)]
        for attempt in range(40):
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                proc.wait(timeout=rng.uniform(1.0, 12.0))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            if proc.returncode == 0:
                break
            if (folder / "run.json").exists():
                argv = [sys.executable, "-m", "spikemem.cli", "continual", "--resume", str(folder)]
            time.sleep(0.05)
        assert proc.returncode == 0
        assert _result(folder) == expected
