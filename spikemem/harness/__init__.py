"""The shared harness: an ideal-memory oracle, cases of timed operations, scoring, and a pytest plugin.

A memory model (found through the `spikemem.memories` entry points) supplies its cases and runs
them on any backend; the harness scores every operation against the oracle
(`spikemem harness`, or `pytest --spikemem-backend=NAME`).
"""
