"""HLOP: continual learning for spiking networks by Hebbian orthogonal projection (docs/hlop.md).

Heavy dependencies (torch, scikit-learn) load with the submodules, never at `import spikemem`.
Entry points: `spikemem continual` (cli.py), Run (train.py), to_network (export.py).
"""
