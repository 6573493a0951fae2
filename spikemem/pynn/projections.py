"""Projection of spikemem.pynn: PyNN's connector code makes the connections, kept here as arrays.

Every PyNN connector works unchanged: it calls _convergent_connect once per postsynaptic neuron
(PyNN's own loop) and the connections are kept as index and parameter arrays. OneToOne and AllToAll
between whole populations with one value per parameter are not expanded at all: they lower to the
description's own connectors (docs/scale.md, structured connectivity) and are expanded only when
someone reads them (get, save, len). Weights keep the sign the script gave; the description gets
|w| and the receptor gives the sign (pyNN.nest wants inhibitory current weights < 0, sPyNNaker > 0).
"""
from __future__ import annotations

import numpy as np
from pyNN import common, connectors
from pyNN.space import Space

from ..errors import UnsupportedFeature
from . import simulator
from .models import TYPES

RECEPTORS = ("excitatory", "inhibitory")
STRUCTURED = {connectors.AllToAllConnector: "all_to_all", connectors.OneToOneConnector: "one_to_one"}


class Connection(common.Connection):
    """One connection of a projection (Projection[i], Projection.connections); setting one of its
    parameters (weight, delay, ...) writes it back into the projection."""

    def __init__(self, projection, i):
        pre, post, values = projection._connection(i)
        object.__setattr__(self, "_projection", projection)
        object.__setattr__(self, "_index", i)
        object.__setattr__(self, "presynaptic_index", pre)
        object.__setattr__(self, "postsynaptic_index", post)
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        if name not in self._values:
            raise AttributeError(f"a connection of {self._projection.label} has no parameter {name!r}")
        self._projection._set_one(self._index, name, float(value))
        self._values[name] = float(value)

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = TYPES["StaticSynapse"]

    def __init__(self, presynaptic_population, postsynaptic_population, connector, synapse_type=None,
                 source=None, receptor_type=None, space=Space(), label=None):
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population, connector,
                                   synapse_type, source, receptor_type, space, label)
        # a synapse type the description lacks is refused when the network is built (lowering.py)
        if self.receptor_type not in RECEPTORS:
            raise UnsupportedFeature(f"{self.label}: receptor_type={self.receptor_type!r}; the description has "
                                     "excitatory and inhibitory receptors")
        self._chunks = []
        self._structured = self._structure(connector)       # (kind, one value per parameter) or None
        if self._structured is None:
            connector.connect(self)
        self._pre, self._post, self._values = self._gather()
        simulator.state.projections.append(self)
        simulator.state.changed("a new Projection", self)

    # -- building ---------------------------------------------------------------------------------
    def _structure(self, connector):
        kind = STRUCTURED.get(type(connector))
        if kind is None or not all(isinstance(p, common.Population) for p in (self.pre, self.post)):
            return None
        if kind == "one_to_one" and self.pre.size != self.post.size:
            return None
        space = self.synapse_type.native_parameters
        space.shape = self.shape
        if not all(v.is_homogeneous and not callable(v.base_value) for _, v in space.items()):
            return None
        values = {name: float(v.evaluate(simplify=True)) for name, v in space.items()}
        if connector.safe:
            for name, check in getattr(self.synapse_type, "parameter_checks", {}).items():
                if name in values:
                    check(values[name], self)
        allow = kind == "one_to_one" or connector.allow_self_connections
        return kind, allow, values

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index, location_selector=None,
                            **connection_parameters):
        if location_selector is not None:
            raise UnsupportedFeature(f"{self.label}: location_selector (multicompartment cells)")
        pre = np.asarray(presynaptic_indices, dtype=np.int64).ravel()
        values = {name: np.broadcast_to(np.asarray(v, dtype=float), pre.shape)
                  for name, v in connection_parameters.items()}
        self._chunks.append((pre, np.full(pre.shape, int(postsynaptic_index), dtype=np.int64), values))

    def _gather(self):
        names = self.synapse_type.get_native_names() if self._structured is None else list(self._structured[2])
        if not self._chunks:
            z = np.zeros(0, dtype=np.int64)
            return z, z, {n: np.zeros(0) for n in names}
        pre = np.concatenate([c[0] for c in self._chunks])
        post = np.concatenate([c[1] for c in self._chunks])
        values = {n: np.concatenate([c[2][n] for c in self._chunks]).astype(float) for n in self._chunks[0][2]}
        self._chunks = []
        return pre, post, values

    # -- the connections --------------------------------------------------------------------------
    def self_pairs_dropped(self) -> bool:
        """An all-to-all without self connections drops i -> i within one population; sPyNNaker
        (dialect 'spinnaker') drops them between two populations too."""
        s = self._structured
        return s is not None and s[0] == "all_to_all" and not s[1] and (
            self.pre is self.post or simulator.state.dialect == "spinnaker")

    def connection_arrays(self, live: bool = True):
        """(pre index, post index, {parameter: value per connection}): the structured connectors
        expanded; with `live`, plastic weights as the live run holds them now (trial 0)."""
        if self._structured is None:
            pre, post, values = self._pre, self._post, dict(self._values)
        else:
            kind, _, scalars = self._structured
            if kind == "one_to_one":
                pre = post = np.arange(self.pre.size)
            else:
                pre, post = (a.ravel() for a in np.meshgrid(np.arange(self.pre.size), np.arange(self.post.size),
                                                            indexing="ij"))
                if self.self_pairs_dropped():
                    keep = pre != post
                    pre, post = pre[keep], post[keep]
            values = {n: np.full(len(pre), v) for n, v in scalars.items()}
        run = simulator.state.live if live else None
        if run is not None:
            w = run.weights_of(self, pre, post)
            if w is not None:
                values["weight"] = np.copysign(w, values["weight"]) if len(w) else w
        return pre, post, values

    def __len__(self):
        if self._structured is None:
            return len(self._pre)
        n = self.pre.size * self.post.size if self._structured[0] == "all_to_all" else self.pre.size
        return n - (min(self.pre.size, self.post.size) if self.self_pairs_dropped() else 0)

    @property
    def connections(self):
        """PyNN's list of the projection's connections (each writable)."""
        return [Connection(self, k) for k in range(len(self))]

    def _destructure(self) -> None:
        """Keep every connection as an array entry (before values differ between connections)."""
        if self._structured is not None:
            pre, post, values = self.connection_arrays(live=False)
            self._structured = None
            self._pre, self._post, self._values = pre, post, values

    def _set_one(self, i: int, name: str, value: float) -> None:
        self._destructure()
        self._values[name] = np.array(self._values[name], dtype=float)
        self._values[name][i] = value
        simulator.state.changed(("set weights", (name,)), self)

    def _connection(self, i):
        pre, post, values = self.connection_arrays()
        return int(pre[i]), int(post[i]), {n: float(v[i]) for n, v in values.items()}

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            if not -len(self) <= i < len(self):
                raise IndexError(f"connection {i} of {len(self)}")
            return Connection(self, int(i) % len(self))
        return [Connection(self, k) for k in range(len(self))[i]]

    def _get_attributes_as_list(self, names):
        pre, post, values = self.connection_arrays()
        cols = []
        for name in names:
            if name == "presynaptic_index":
                cols.append(pre)
            elif name == "postsynaptic_index":
                cols.append(post)
            else:
                cols.append(values[_attribute(values, name)])
        return list(zip(*(c.tolist() for c in cols))) if cols else []

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        pre, post, values = self.connection_arrays()
        out = []
        for name in names:
            v = values[_attribute(values, name)]
            arr = np.full(self.shape, np.nan)
            if multiple_synapses == "last":
                arr[pre, post] = v
            elif multiple_synapses == "first":
                arr[pre[::-1], post[::-1]] = v[::-1]
            else:
                op = {"sum": np.add, "min": np.fmin, "max": np.fmax}[multiple_synapses]
                acc = np.full(self.shape, 0.0 if multiple_synapses == "sum" else np.nan)
                op.at(acc, (pre, post), v)
                hit = np.zeros(self.shape, dtype=bool)
                hit[pre, post] = True
                arr[hit] = acc[hit]
            out.append(arr)
        return out

    def _set_attributes(self, parameter_space):
        """Projection.set: values for the existing connections (a matrix, one value, a distribution)."""
        if self._structured is not None and all(v.is_homogeneous and not callable(v.base_value)
                                                for _, v in parameter_space.items()):
            kind, allow, scalars = self._structured
            scalars = dict(scalars, **{n: float(v.evaluate(simplify=True)) for n, v in parameter_space.items()})
            self._structured = (kind, allow, scalars)
        else:
            if self._structured is not None:        # a value per connection: no longer structured
                pre, post, values = self.connection_arrays()
                self._structured = None
                self._pre, self._post, self._values = pre, post, values
            parameter_space.shape = self.shape
            for name, value in parameter_space.items():
                full = np.broadcast_to(np.asarray(value.evaluate(simplify=False), dtype=float), self.shape)
                self._values[name] = full[self._pre, self._post].astype(float)
        simulator.state.changed(("set weights", tuple(parameter_space.keys())), self)


def _attribute(values: dict, name: str) -> str:
    """The parameter `name` names ('weights' is 'weight', as PyNN reads it)."""
    if name not in values and name.endswith("s") and name[:-1] in values:
        return name[:-1]
    return name
