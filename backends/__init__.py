"""Backends: each compiles a spikemem Network and runs it. None imports another."""
