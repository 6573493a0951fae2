"""The Norse backend: every IF neuron advances through Norse's lif_feed_forward_step, inside
the shared array engine on torch (spikemem.engine.array_engine on spikemem.engine.torch_ops).

Norse integrates dv/dt = (v_leak - v + i)/tau_m, di/dt = -i/tau_syn by forward Euler, input
jumping i before the step (i in mV, i = R I). Options:

integration='exact' (default): the closest exact form. Norse's own step with the rate
  constants replaced by (1 - exp(-dt/tau))/dt is exactly the IR's exponential update:
  spinnaker scheme: i jumps by R init w at the arrival step (sPyNNaker's order);
  exact scheme:     i = P21 I / (1 - alpha_m), jumps one step later (NEST's order).
integration='euler': Norse's native forward Euler at the network's dt. Refused (UnsupportedFeature)
  when dt/tau > 1 for a membrane or synapse (e.g. CA3's tau_syn = 0.3 ms at dt = 1 ms, where
  Euler's current factor 1 - dt/tau = -2.3 makes the current flip sign and diverge).
integration='substep': Norse's forward Euler on `substeps` sub-steps of dt/substeps (default:
  enough for dt/substeps <= tau/10). Exact scheme: the continuous ODE, i jumping by R w one
  step after arrival. Spinnaker scheme: its ODE holds the current over the step, so the
  sub-steps run with tau_syn_inv = 0 and the step ends with sPyNNaker's decay factor; i jumps
  by R init w at arrival. Both converge to the reference as substeps grow; the accuracy is
  reported by the tests and `spikemem bench backends`.

Threshold (V >= v_thresh), reset and the refractory hold are the IR's, applied by the engine
(Norse's threshold is strict and lif_feed_forward_step has no refractory period).
"""
from __future__ import annotations

import math

import numpy as np

from spikemem.description import validation
from spikemem.engine.array_engine import run_engine
from spikemem.engine.session import EngineSession
from spikemem.engine.cell_input import SignedInput, require_lif, require_single_tau_syn
from spikemem.description.features import CURRENT_SOURCE_FEATURES
from spikemem.errors import UnsupportedFeature, ValidationError
from spikemem.optional import Extra

INTEGRATIONS = ("exact", "euler", "substep")


class NorseNeurons:
    """Engine plug-in: norse.torch.functional.lif.lif_feed_forward_step drives the dynamics."""

    STATE = ("i", "input.delayed")

    def __init__(self, engine, integration: str, substeps: int | None):
        import torch
        from norse.torch.functional.lif import (
            LIFFeedForwardState,
            LIFParameters,
            lif_feed_forward_step,
        )
        self.State, self.step = LIFFeedForwardState, lif_feed_forward_step
        c, n, const = engine.c, engine.c.n_if, engine.ops.array
        p, dt = c.params, c.dt
        require_lif(c, "Norse LIF")
        require_single_tau_syn(c, "Norse LIF")
        delta = p["direct"] > 0
        _check_delta(p, delta, integration)
        alpha_m, alpha_s = p["alpha"], np.where(delta, 0.5, p["decay"][:n])   # (delta: placeholder, see below)
        tau_m, tau_s = -dt / np.log(alpha_m), -dt / np.log(alpha_s)
        if integration == "exact":
            tm_inv, ts_inv, k = (1.0 - alpha_m) / dt, (1.0 - alpha_s) / dt, 1
            gain = p["R"] * p["init"][:n] if c.scheme == "spinnaker" else p["p21"][:n] / (1.0 - alpha_m)
        else:
            tm_inv, ts_inv = 1.0 / tau_m, 1.0 / tau_s
            if integration == "substep" and c.scheme == "spinnaker":
                ts_inv = np.zeros(n)          # the current is held over the step ...
            gain = p["R"] * p["init"][:n] if c.scheme == "spinnaker" else p["R"]
            if integration == "euler":
                k = 1
                worst = max(float(np.max(dt * tm_inv, initial=0)), float(np.max(dt * ts_inv, initial=0)))
                if worst > 1.0:
                    which = "tau_syn" if np.max(dt * ts_inv, initial=0) >= np.max(dt * tm_inv, initial=0) else "tau_m"
                    tau = float(np.min(tau_s if which == "tau_syn" else tau_m))
                    raise UnsupportedFeature(
                        f"integration='euler': Norse's forward Euler at dt={dt:g} ms with {which}={tau:g} ms is "
                        f"unstable (dt/tau = {dt / tau:.3g} > 1: the decay factor 1 - dt/tau is negative"
                        f"{', |.| > 1 diverges' if dt / tau > 2 else ''}); use integration='exact' (Norse's step "
                        f"with exact decay factors) or integration='substep'")
            else:
                k = substeps or int(math.ceil(dt / (0.1 * float(np.min(np.minimum(tau_m, tau_s), initial=dt)))))
        if delta.any():
            # IFCurrDelta: i lives one step (decay factor 1 - dt ts_inv = 0) and its one update
            # of v, dt tm_inv i, is the weight in mV.
            ts_inv = np.where(delta, 1.0 / dt, ts_inv)
            gain = np.where(delta, 1.0 / (dt * tm_inv), gain)
        self.k, self.sub_dt = k, dt / k
        self.params = LIFParameters(tau_syn_inv=const(ts_inv), tau_mem_inv=const(tm_inv),
                                    v_leak=const(p["v_rest"] + p["R"] * p["i_offset"]),
                                    v_th=const(np.full(n, np.inf)), v_reset=engine.v_reset)
        self.input = SignedInput(c, const(gain), torch.zeros_like(engine.V), const(p["direct"]))
        held = integration == "substep" and c.scheme == "spinnaker"
        self.end_decay = const(alpha_s) if held else None   # ... and decays at its end
        self.i = torch.zeros_like(engine.V)
        self.zero = torch.zeros_like(engine.V)

    def membrane(self, e, arrived):
        x = self.input(arrived)
        state = self.State(v=e.V, i=self.i)
        for s in range(self.k):
            _, state = self.step(x if s == 0 else self.zero, state, self.params, self.sub_dt)
        self.i = state.i if self.end_decay is None else state.i * self.end_decay
        return state.v


def _check_delta(p, delta, integration):
    if np.any(delta & (p["alpha"] >= 1.0)):
        raise UnsupportedFeature("IFCurrDelta with tau_m = inf: Norse's LIF step moves v by dt/tau_m of its "
                                 "input, nothing without leak (cell.no_leak); use the reference or torch backend")
    if delta.any() and integration == "substep":
        raise UnsupportedFeature("integration='substep' with IFCurrDelta: a delta synapse has no current to "
                                 "sub-step; use integration='exact' or 'euler'")


class NorseBackend(Extra):
    name = "norse"
    requires, extra = ("torch", "norse"), "norse"
    # spikemem.description.features vocabulary; distinct tau_syn_E/tau_syn_I is refused at run (UnsupportedFeature)
    unsupported = frozenset({"cell.no_leak", "numerics.fixed", "cell.cond_exp", "cell.alpha", "cell.izhikevich",
                             "record.gsyn", *CURRENT_SOURCE_FEATURES})

    def __init__(self, device: str = "cpu", dtype: str = "float32", integration: str = "exact",
                 substeps: int | None = None, **unknown):
        if unknown:
            raise ValidationError("backend option", sorted(unknown), "the norse backend takes device, dtype, integration and substeps")
        validation.choice("integration", integration, INTEGRATIONS)
        if substeps is not None:
            if isinstance(substeps, bool) or not isinstance(substeps, int) or substeps < 1:
                raise ValidationError("substeps", substeps, "must be an integer >= 1")
            if integration != "substep":
                raise ValidationError("substeps", substeps, "only applies to integration='substep'")
        self.integration, self.substeps = integration, substeps
        self.require_all()
        from spikemem.engine.torch_ops import TorchOps
        self.ops = TorchOps(device, dtype)

    def _neurons(self, engine):
        return NorseNeurons(engine, self.integration, self.substeps)

    def run(self, network, duration_ms: float, inputs=None, batch: int | None = None):
        return run_engine(network, duration_ms, inputs, batch, self.name, self.ops, self._neurons)

    def session(self, network, batch: int = 1) -> EngineSession:
        """A live session: run(until_ms, inputs) window by window, spikes as one long run."""
        return EngineSession(network, batch, label=self.name, ops=self.ops, neurons=self._neurons)


__all__ = ["NorseBackend", "NorseNeurons"]
