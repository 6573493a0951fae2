"""A dependency-free progress bar on stderr, silent when stderr is not a terminal unless forced."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str = "", enabled: bool | None = None, stream=None):
        self.total, self.label, self.n = max(int(total), 1), label, 0
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.t0 = time.perf_counter()

    def update(self, k: int = 1):
        self.n += k
        if self.enabled:
            frac = min(self.n / self.total, 1.0)
            bar = "#" * int(30 * frac)
            el = time.perf_counter() - self.t0
            eta = el / frac - el if frac > 0 else 0.0
            self.stream.write(f"\r{self.label} [{bar:<30}] {self.n}/{self.total} {el:5.1f}s eta {eta:5.1f}s")
            self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
