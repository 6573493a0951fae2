"""Benchmarks run each measured case in a fresh process (its own imports and peak memory)."""
from __future__ import annotations

import json
import subprocess


def run_json(cmd: list, timeout) -> dict:
    """Run `cmd`; its last stdout line as JSON, or {"error": ...} (a timeout or a failure's last line)."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if out.returncode != 0:
        lines = (out.stderr or out.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])
