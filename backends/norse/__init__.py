"""Norse backend."""
