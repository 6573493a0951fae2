"""Hardware-facing helpers (SpiNNaker board configuration and mapping reports)."""
