"""Network files of every format version the tests have written stay readable: 1.0 (before
numerics), 1.1 (numerics, ring-buffer overrides) and 1.2 (random connectors and values, Poisson
sources, multiplicative STDP, layers), kept in tests/data/network_versions/. The 1.2 file is what
this version writes: SPIKEMEM_WRITE_FORMAT_FILES=1 rewrites it (never the older ones)."""
import json
import os
from pathlib import Path

import pytest
from fuzz_inputs import valid_network_dict, valid_network_dict_v12

from spikemem import Network, get_backend
from spikemem.interchange.json_format import VERSION, network_from_dict, network_to_dict

FOLDER = Path(__file__).parent / "data" / "network_versions"


def v1_1() -> dict:
    d = valid_network_dict()
    d["version"] = "1.1"
    d["simulation"]["numerics"] = "fixed"
    for p in d["populations"]:
        p["max_expected_summed_weight"] = [2.0, 3.0] if p["name"] == "a" else None
    return d


def test_the_current_file_is_what_this_version_writes():
    path = FOLDER / "v1_2.json"
    want = network_to_dict(network_from_dict(valid_network_dict_v12()))
    if os.environ.get("SPIKEMEM_WRITE_FORMAT_FILES") == "1":
        path.write_text(json.dumps(want, indent=1))
    assert VERSION == "1.2" and json.loads(path.read_text()) == json.loads(json.dumps(want))


@pytest.mark.parametrize("name, numerics", [("v1_0.json", "float"), ("v1_1.json", "fixed"), ("v1_2.json", "float")])
def test_every_version_loads_and_runs(name, numerics):
    net = Network.load(FOLDER / name)
    assert net.simulation.numerics == numerics
    res = get_backend("reference").run(net, 10.0)
    assert res.count() > 0
    back = network_from_dict(json.loads(json.dumps(network_to_dict(net))))      # and writes itself as 1.2
    assert back == net


def test_older_files_are_the_ones_older_versions_wrote():
    assert json.loads((FOLDER / "v1_0.json").read_text()) == valid_network_dict()
    assert json.loads((FOLDER / "v1_1.json").read_text()) == v1_1()
    assert "numerics" not in json.loads((FOLDER / "v1_0.json").read_text())["simulation"]
