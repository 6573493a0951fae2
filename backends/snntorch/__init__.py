"""snnTorch backend."""
