"""The engine's neuron models beyond LIF: IF_cond_exp, IF_curr_alpha and Izhikevich, in float.

Each model updates its own contiguous slice of the flat (batch, n) arrays (flatten orders the
populations by model; spikemem.engine.model_params), vectorized over the slice, for both update
schemes; the LIF cells are spikemem.engine.array_engine.IFNeurons. The engine keeps the
refractory hold, the threshold and the reset to v_reset for all of them. docs/cells.md states
every update step by step; numerics="fixed" runs spikemem.engine.fixed_models instead.
"""
from __future__ import annotations

import math

import numpy as np

from ..description.propagators import exact_alpha_gain, exact_current_gain
from ..errors import ValidationError
from .model_params import columns

IZH_POST_SPIKE_STEP = 1.85    # sPyNNaker's neuron_model_izh_impl.h: the step after a spike is 1.85 dt long
RK4_STEP_OF_TAU = 20          # cond_exp, exact scheme: a Runge-Kutta sub-step is at most min(tau)/20 ...
RK4_MAX_RATE_STEP = 0.1       # ... and at most 0.1 / (largest (g_L + g_E + g_I) / cm) (docs/cells.md, IF_cond_exp)
RK4_MAX_STEPS = 1 << 16       # sub-steps per step beyond which the conductances are refused


class NeuronModel:
    """What a model of the engine's neuron slices provides (IFNeurons and the models below).

    A model owns the IF indices [lo, hi) (engine.V[:, lo:hi]), reads its synaptic input from the
    ring buffer's exc | inh columns of those neurons, and updates V in place in membrane(engine,
    arrived); the engine then applies the refractory hold, the threshold and the reset to
    v_reset, and calls spiked(trials, local indices) on models that change more at a spike.

    - STATE: the arrays a step carries to the next (live sessions save and restore them).
    - syn_now: after membrane(), the (B, 2 m) exc | inh synaptic current (nA) or conductance (uS)
      just after this step's input was added: what gsyn_exc / gsyn_inh record.
    - inject: the injected-current hook. None, or a (B, m) array in nA set before membrane()
      for this step (a current source, per neuron and trial): every model adds it exactly where
      it adds i_offset, in the same units and by the same scheme rule, so a source plugs into
      every model without knowing it.
    """

    STATE: tuple = ()
    inject = None
    syn_now = None

    def _slice(self, e, lo: int, hi: int) -> None:
        self.lo, self.hi, self.n = lo, hi, hi - lo
        self.keep = e.c.gsyn                      # keep syn_now (gsyn is recorded)
        self.cols = e.ops.index(np.r_[lo:hi, e.c.n_if + lo:e.c.n_if + hi])   # its exc | inh ring columns

    def _shared(self, e, *names):
        """The FlatNetwork's shared per-neuron (n) or per-column (2 n) params for this slice."""
        p, n = e.c.params, e.c.n_if
        return [e.ops.array(p[k][self.lo:self.hi] if len(p[k]) == n else columns(p[k], self.lo, self.hi, n))
                for k in names]

    def _current(self, i_offset):
        """i_offset plus this step's injected current (nA)."""
        return i_offset if self.inject is None else i_offset + self.inject

    def _keep(self, ops, syn):
        if self.keep:
            self.syn_now = ops.copy(syn)


class CondExpNeurons(NeuronModel):
    """IF_cond_exp. spinnaker: sPyNNaker's exponential synapse on the conductance, the input
    type's current g (E_rev - V) at the step's start, and the LIF closed form over the step.
    exact: NEST's iaf_cond_exp order (input arriving at step t jumps g at its end), the membrane
    ODE integrated by Runge-Kutta 4 with the conductances' exact decay inside the step."""

    STATE = ("g",)

    def __init__(self, e, m):
        self._slice(e, m.lo, m.hi)
        ops, p, dt, n = e.ops, m.params, e.c.dt, self.n
        self.spinnaker = e.c.scheme == "spinnaker"
        self.g = ops.zeros((e.B, 2 * n))                        # exc | inh conductance, uS
        self.e_rev = ops.array(np.concatenate([p["e_rev_E"], p["e_rev_I"]]))
        self.init, self.decay, self.alpha, self.R, self.v_rest, self.i_offset = self._shared(
            e, "init", "decay", "alpha", "R", "v_rest", "i_offset")
        self.g_l, self.inv_cm = ops.array(p["cm"] / p["tau_m"]), ops.array(1.0 / p["cm"])
        self.e_l_g_l = ops.array(p["cm"] / p["tau_m"] * e.c.params["v_rest"][m.lo:m.hi])
        self.tau = np.concatenate([p["tau_syn_E"], p["tau_syn_I"]])
        shortest = min(float(np.min(p[k], initial=np.inf)) for k in ("tau_m", "tau_syn_E", "tau_syn_I"))
        self.dt, self.ops, self.populations = dt, ops, m.populations
        need = dt * RK4_STEP_OF_TAU / shortest if n and not self.spinnaker else 1.0
        if not need <= RK4_MAX_STEPS:           # a time constant too short (or subnormal) for the step
            pop = self.populations[0]
            raise ValidationError(f"{pop}.cell", pop, f"a time constant of {shortest:.3g} ms needs {need:.3g} "
                                  f"Runge-Kutta sub-steps per {dt:g} ms step under scheme 'exact', beyond "
                                  f"{RK4_MAX_STEPS}")
        self.base_steps = max(1, math.ceil(need))
        self.rate_max = float(np.max(1.0 / p["tau_m"], initial=0.0))
        self.inv_cm_max = float(np.max(1.0 / p["cm"], initial=0.0))
        self._factors = {}

    def membrane(self, e, arrived):
        arrived = arrived[:, self.cols]
        V, n = e.V[:, self.lo:self.hi], self.n
        if self.spinnaker:
            self.g += arrived * self.init
            self._keep(self.ops, self.g)
            syn = self.g[:, :n] * (self.e_rev[:n] - V) + self.g[:, n:] * (self.e_rev[n:] - V)
            a = self.v_rest + (syn + self._current(self.i_offset)) * self.R
            V[...] = a - self.alpha * (a - V)
            self.g *= self.decay
        else:
            V[...] = self._integrate(V)
            self.g *= self.decay
            self.g += arrived
            self.syn_now = self.g
        return V

    def _integrate(self, V):
        """V after one step of dV/dt = (g_L (E_L - V) + g_E(s) (E_E - V) + g_I(s) (E_I - V) + I) / cm,
        g(s) = g e^(-s/tau): classic Runge-Kutta 4 on k sub-steps, k the smallest power-of-two
        multiple of base_steps that keeps each sub-step below 0.1 / (the trial's largest decay
        rate). k is chosen per trial, so a trial's result does not depend on the others in its batch."""
        n, ops = self.n, self.ops
        if not n:
            return V
        ge, gi = self.g[:, :n], self.g[:, n:]
        g_max = ops.row_max(ge + gi)
        rate = g_max * self.inv_cm_max + self.rate_max                 # >= every neuron's decay rate
        k = np.full(len(rate), self.base_steps)
        while np.any(big := self.dt / k * rate > RK4_MAX_RATE_STEP):
            k[big] *= 2
            if k.max() > RK4_MAX_STEPS:
                t = int(np.argmax(k))
                pop = self.populations[0]
                raise ValidationError(f"{pop}.cell", pop, f"a conductance of {g_max[t]:.3g} uS gives a "
                                      f"membrane rate of {rate[t]:.3g}/ms, beyond the {RK4_MAX_STEPS} "
                                      f"Runge-Kutta sub-steps a {self.dt:g} ms step may take (weights too large)")
        drive = self.e_l_g_l + self._current(self.i_offset)
        if np.all(k == k[0]):
            return self._rk4(V, ge, gi, drive, int(k[0]))
        out = ops.copy(V)
        per_trial = getattr(drive, "ndim", 0) == 2 and drive.shape[0] > 1   # noise: a row per trial; else one row
        for kk in np.unique(k):
            rows = ops.index(np.flatnonzero(k == kk))
            out[rows] = self._rk4(V[rows], ge[rows], gi[rows], drive[rows] if per_trial else drive, int(kk))
        return out

    def _rk4(self, V, ge, gi, drive, k: int):
        """k classic Runge-Kutta 4 sub-steps of the step, for the trials in V's rows."""
        n = self.n
        fac = self._sub_factors(k)
        h = self.dt / k
        ge_e, gi_i = ge * self.e_rev[:n], gi * self.e_rev[n:]

        def f(v, j):
            de, di = fac(j)
            return (drive + ge_e * de + gi_i * di - (self.g_l + ge * de + gi * di) * v) * self.inv_cm

        for s in range(k):
            k1 = f(V, 2 * s)
            k2 = f(V + (h / 2) * k1, 2 * s + 1)
            k3 = f(V + (h / 2) * k2, 2 * s + 1)
            k4 = f(V + h * k3, 2 * s + 2)
            V = V + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
        return V

    def _sub_factors(self, k: int):
        """j -> (e^(-s/tau_E), e^(-s/tau_I)) per neuron at s = j h / 2 (j = 0 .. 2k, h = dt / k);
        kept for the usual few sub-steps, computed afresh for the rare large k."""
        n, h = self.n, self.dt / k

        def make(j):
            return self.ops.array(np.exp(-j * h / 2 / self.tau[:n])), self.ops.array(np.exp(-j * h / 2 / self.tau[n:]))
        if k > 64:
            return make
        if k not in self._factors:
            self._factors[k] = [make(j) for j in range(2 * k + 1)]
        return self._factors[k].__getitem__


class AlphaNeurons(NeuronModel):
    """IF_curr_alpha. spinnaker: sPyNNaker's alpha synapse (synapse_types_alpha_impl.h) with the
    weight scaled to its charge (q = e tau w; docs/cells.md) and the LIF closed form. exact:
    NEST's iaf_psc_alpha propagators and order."""

    def __init__(self, e, m):
        self._slice(e, m.lo, m.hi)
        ops, p, dt, n = e.ops, m.params, e.c.dt, self.n
        self.ops = ops
        self.spinnaker = e.c.scheme == "spinnaker"
        tau = np.concatenate([p["tau_syn_E"], p["tau_syn_I"]])
        self.alpha, self.R, self.v_rest, self.i_offset = self._shared(e, "alpha", "R", "v_rest", "i_offset")
        self.decay = ops.array(np.exp(-dt / tau))
        if self.spinnaker:
            self.STATE = ("lin", "exp", "q")
            self.lin, self.exp, self.q = (ops.zeros((e.B, 2 * n)) for _ in range(3))
            self.step_gain = ops.array(dt / tau ** 2)           # dt / tau^2
            self.charge = ops.array(math.e * tau)                 # sPyNNaker's weight per description weight
        else:
            self.STATE = ("dI", "I")
            self.dI, self.I = ops.zeros((e.B, 2 * n)), ops.zeros((e.B, 2 * n))
            tau_m, cm = np.tile(p["tau_m"], 2), np.tile(p["cm"], 2)
            self.p21 = ops.array(dt * np.exp(-dt / tau))
            self.p31 = ops.array(exact_alpha_gain(tau_m, tau, cm, dt))
            self.p32 = ops.array(exact_current_gain(tau_m, tau, cm, dt))
            self.jump = ops.array(math.e / tau)
            self.leak = ops.array(p["tau_m"] / p["cm"] * -np.expm1(-dt / p["tau_m"]))

    def membrane(self, e, arrived):
        arrived = arrived[:, self.cols]
        V, n = e.V[:, self.lo:self.hi], self.n
        if self.spinnaker:
            new = arrived > 0
            self.q = self.ops.where(new, arrived * self.charge, self.q)
            self.exp = self.ops.where(new, self.exp * self.decay + 1.0, self.exp)
            opened = 1.0 - 1.0 / self.ops.where(new, self.exp, 1.0)        # (E >= 1 where new)
            self.lin = self.ops.where(new, (self.lin + self.q * self.step_gain) * opened, self.lin)
            syn = self.lin * self.exp
            self.syn_now = syn
            a = self.v_rest + (syn[:, :n] - syn[:, n:] + self._current(self.i_offset)) * self.R
            V[...] = a - self.alpha * (a - V)
            self.lin = self.lin + self.q * self.step_gain
            self.exp = self.exp * self.decay
        else:
            kick = self.p31 * self.dI + self.p32 * self.I
            V[...] = (self.v_rest + self.alpha * (V - self.v_rest) + kick[:, :n] - kick[:, n:]
                      + self._current(self.i_offset) * self.leak)
            self.I = self.p21 * self.dI + self.decay * self.I
            self.dI = self.decay * self.dI + self.jump * arrived
            self.syn_now = self.I
        return V


class IzhikevichNeurons(NeuronModel):
    """Izhikevich. spinnaker: sPyNNaker's neuron_model_izh_impl.h, a midpoint (RK2) step of two
    half-steps, h = 1.85 dt in the step after a spike, input current I_E - I_I + i_offset from
    exponential synapses. exact: NEST's izhikevich (forward Euler, consistent_integration).
    Voltage-jump synapses add the weight to v after the step's update, in its arrival step."""

    def __init__(self, e, m):
        self._slice(e, m.lo, m.hi)
        ops, p, dt, n = e.ops, m.params, e.c.dt, self.n
        self.ops, self.dt = ops, dt
        self.spinnaker = e.c.scheme == "spinnaker"
        self.a, self.b, self.d = (ops.array(p[k]) for k in ("a", "b", "d"))
        self.i_offset, = self._shared(e, "i_offset")
        delta = p["delta"] > 0
        self.direct = ops.array(p["delta"]) if delta.any() else None
        tau = np.concatenate([p["tau_syn_E"], p["tau_syn_I"]])
        both = np.tile(delta, 2)
        self.decay = ops.array(np.where(both, 0.0, np.exp(-dt / tau)))
        init = np.where(both, 0.0, (tau / dt) * -np.expm1(-dt / tau))
        self.init = ops.array(init if self.spinnaker else np.where(both, 0.0, 1.0))
        self.u = ops.array(np.repeat(p["u_init"][None], e.B, axis=0))
        self.I = ops.zeros((e.B, 2 * n))                         # exp synapses' currents, nA
        self.h = ops.full((e.B, n), dt)                          # sPyNNaker's this_h
        self.STATE = ("u", "I", "h") if self.spinnaker else ("u", "I")

    def membrane(self, e, arrived):
        arrived = arrived[:, self.cols]
        V, n = e.V[:, self.lo:self.hi], self.n
        v, u = V + 0.0, self.u
        if self.spinnaker:
            self.I = self.I + arrived * self.init
            self._keep(self.ops, self.I)
            inp = self.I[:, :n] - self.I[:, n:] + self._current(self.i_offset)
            h = self.h
            pre = 140.0 + inp - u
            alpha = pre + (5.0 + 0.04 * v) * v
            eta = v + 0.5 * (h * alpha)
            beta = 0.5 * (h * (self.b * v - u) * self.a)
            V[...] = v + h * (pre - beta + (5.0 + 0.04 * eta) * eta)
            self.u = u + self.a * h * (-u - beta + self.b * eta)
            self.h[...] = self.dt
            self.I = self.I * self.decay
        else:
            inp = self.I[:, :n] - self.I[:, n:] + self._current(self.i_offset)
            V[...] = v + self.dt * (0.04 * v * v + 5.0 * v + 140.0 - u + inp)
            self.u = u + self.dt * self.a * (self.b * v - u)
            self.I = self.I * self.decay + arrived * self.init
            self.syn_now = self.I
        if self.direct is not None:
            V += (arrived[:, :n] - arrived[:, n:]) * self.direct
        return V

    def spiked(self, trials, idx):
        """u += d at a spike (v = c is the engine's reset); sPyNNaker's next step is 1.85 dt long."""
        self.u[trials, idx] = self.u[trials, idx] + self.d[idx]
        if self.spinnaker:
            self.h[trials, idx] = IZH_POST_SPIKE_STEP * self.dt


class ModelSet:
    """Several neuron models, each on its slice of the engine's neurons (flatten orders them)."""

    def __init__(self, e, models: dict):
        """models: a factory (engine, ModelSlice) per model kind."""
        self.models = [models[m.kind](e, m) for m in e.c.models]
        for k, m in enumerate(self.models):
            setattr(self, f"m{k}", m)
        self.STATE = tuple(f"m{k}.{s}" for k, m in enumerate(self.models) for s in m.STATE)
        self.spiking = [m for m in self.models if hasattr(m, "spiked")]

    def membrane(self, e, arrived):
        for m in self.models:
            m.membrane(e, arrived)
        return e.V

    def spiked(self, trials, idx) -> None:
        for m in self.spiking:
            within = (idx >= m.lo) & (idx < m.hi)
            if within.any():
                m.spiked(trials[within], idx[within] - m.lo)


FLOAT_MODELS = {"cond": CondExpNeurons, "alpha": AlphaNeurons, "izh": IzhikevichNeurons}
