"""The snnTorch backend: the membrane and synaptic current of every IF neuron advance through
snntorch.Synaptic, inside the batched network machinery of the torch backend.

Mapping (u = V - v_rest in mV; alpha_m = exp(-dt/tau_m), alpha_s = exp(-dt/tau_syn)):
snntorch.Synaptic computes syn <- beta_s syn + x; mem <- beta_m mem + syn, which is the
IR's discretization with beta_m = alpha_m, beta_s = alpha_s and syn in mV:
  spinnaker scheme: syn = (1 - alpha_m) R I, x_t = (1 - alpha_m) R init (w_E - w_I) arriving at t;
  exact scheme:     syn = P21 I,             x_t = P21 (w_E - w_I) arriving at t - 1
                    (NEST order: input moves V from the next step on).
Threshold (V >= v_thresh), reset to v_reset and the refractory hold are the IR's, applied by
the engine (snntorch's strict '>' threshold and lack of a refractory period would differ),
so the cell runs with reset_mechanism='none'. STDP, delays and recording are the shared
array engine's (spikemem.engine.array_engine on spikemem.engine.torch_ops), as for the torch backend.
"""
from __future__ import annotations

import numpy as np

from spikemem.engine.array_engine import run_engine
from spikemem.engine.session import EngineSession
from spikemem.engine.cell_input import SignedInput, require_lif, require_single_tau_syn
from spikemem.description.features import CURRENT_SOURCE_FEATURES
from spikemem.errors import UnsupportedFeature, ValidationError
from spikemem.optional import Extra


class SynapticNeurons:
    """Engine plug-in: snntorch.Synaptic drives the sub-threshold dynamics."""

    STATE = ("syn", "input.delayed")

    def __init__(self, engine):
        import snntorch
        import torch
        c, n, const = engine.c, engine.c.n_if, engine.ops.array
        p = c.params
        require_lif(c, "snntorch")
        require_single_tau_syn(c, "snntorch")
        delta = p["direct"] > 0
        exp_offset = (p["i_offset"] != 0) & ~delta
        if np.any(exp_offset):
            raise UnsupportedFeature("i_offset into IFCurrExp: snntorch.Synaptic has no constant membrane input "
                                     f"(got {float(p['i_offset'][exp_offset][0])} nA); use the torch backend")
        alpha_m, alpha_s = p["alpha"], p["decay"][:n]
        gain = (1.0 - alpha_m) * p["R"] * p["init"][:n] if c.scheme == "spinnaker" else p["p21"][:n]
        # IFCurrDelta: alpha_s = 0, so syn is this step's input, which lands on mem unscaled (mV).
        gain = np.where(delta, 1.0, gain)
        self.input = SignedInput(c, const(gain), torch.zeros_like(engine.V), const(p["direct"]))
        # ... and an IFCurrDelta's i_offset is a constant input: (1 - alpha_m) R i_offset a step
        drive = np.where(delta, (1.0 - alpha_m) * p["R"] * p["i_offset"] + p["drift"], 0.0)
        self.drive = const(drive) if np.any(drive != 0) else None
        self.v_rest = const(p["v_rest"])
        self.cell = snntorch.Synaptic(alpha=const(alpha_s), beta=const(alpha_m),
                                      threshold=1e30, reset_mechanism="none").to(engine.ops.device)
        self.syn = torch.zeros_like(engine.V)

    def membrane(self, e, arrived):
        x = self.input(arrived)
        if self.drive is not None:
            x = x + self.drive
        _, self.syn, mem = self.cell(x, self.syn, e.V - self.v_rest)
        return mem + self.v_rest


class SnnTorchBackend(Extra):
    name = "snntorch"
    requires, extra = ("torch", "snntorch"), "snntorch"
    # spikemem.description.features vocabulary; distinct tau_syn_E/I is refused at run
    unsupported = frozenset({"cell.i_offset.exp", "numerics.fixed", "cell.cond_exp", "cell.alpha", "cell.izhikevich",
                             "record.gsyn", *CURRENT_SOURCE_FEATURES})

    def __init__(self, device: str = "cpu", dtype: str = "float32", **unknown):
        if unknown:
            raise ValidationError("backend option", sorted(unknown), "the snntorch backend takes device and dtype")
        self.require_all()
        from spikemem.engine.torch_ops import TorchOps
        self.ops = TorchOps(device, dtype)

    def run(self, network, duration_ms: float, inputs=None, batch: int | None = None):
        return run_engine(network, duration_ms, inputs, batch, self.name, self.ops, SynapticNeurons)

    def session(self, network, batch: int = 1) -> EngineSession:
        """A live session: run(until_ms, inputs) window by window, spikes as one long run."""
        return EngineSession(network, batch, label=self.name, ops=self.ops, neurons=SynapticNeurons)


__all__ = ["SnnTorchBackend", "SynapticNeurons"]
