"""SpiNNaker through sPyNNaker: virtual-board mapping and weight read-back, export, the fixed-point
check and hardware runs (the per-run config is spikemem.backends.pynn.spinnaker_config)."""
