"""SpiNNaker through sPyNNaker: per-run config, virtual-board mapping, export and hardware runs."""
