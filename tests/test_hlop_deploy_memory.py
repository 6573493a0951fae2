"""The HLOP deploy step (export, network.json, the check on the reference engine) plans its memory
before anything is trained or built (issue 20): the counts are the exported networks' own, the
estimate bounds what the step allocates, and a step past the limit is refused with a
ResourceError naming the estimate (`continual --dataset cifar100 --arch cnn` grew past 18 GB
while convs were exported as synapse lists; as ConvolutionConnectors it needs a few GiB)."""
import os
import tempfile
import tracemalloc

import numpy as np
import pytest

pytest.importorskip("torch")

from spikemem import ResourceError  # noqa: E402
from spikemem.cli import main  # noqa: E402
from spikemem.models.hlop.deploy_memory import cnn_counts, deploy_estimate, mlp_counts, require_deploy  # noqa: E402
from spikemem.models.hlop.export import classify, on_board, to_network  # noqa: E402


def cnn(shape, channels, multi_head=False):
    from spikemem.models.hlop.convnets import SpikingCNN
    m = SpikingCNN(shape, 10, 4, channels, multi_head=multi_head)
    return m.eval()


def listed(net, skip=()):
    return sum(len(p.connector.conn_list) for p in net.projections
               if p.connector.kind == "from_list" and not p.name.startswith(skip))


@pytest.mark.parametrize("shape, channels", [((1, 12, 12), (4, 6)), ((3, 16, 16), (2, 3, 3)), ((3, 9, 7), (2, 2))])
def test_the_cnn_count_is_the_exported_network(shape, channels):
    """Every kernel value of cnn_to_network's conv and head connectors (a signed kernel: an
    excitatory and an inhibitory part), no listed synapse but the biases, which are counted for
    every neuron (the export leaves out those whose offset is 0, as an untrained batch norm's are
    past layer 1), and the largest layer delivery's scratch."""
    from spikemem.engine.layers import per_trial_bytes
    from spikemem.models.hlop.export_conv import cnn_to_network
    net = cnn_to_network(cnn(shape, channels), 0.5, 0.25, shape)
    values, biases, neurons, scratch = cnn_counts(shape, channels, 10, 1)
    layers = [p.connector for p in net.projections if p.connector.kind in ("convolution", "pool_dense")]
    assert 2 * values == sum(c.kernel_weights.size if c.kind == "convolution" else c.weights.size for c in layers)
    assert listed(net, skip="bias") == 0 and listed(net) <= biases == sum(p.size for p in net.populations if not p.is_source)
    assert neurons == sum(p.size for p in net.populations)
    assert scratch == max(per_trial_bytes(c) for c in layers)


def test_the_mlp_count_is_the_exported_weight_arrays():
    from spikemem.models.hlop.model import SpikingMLP
    net = to_network(SpikingMLP(40, 12, 10, 4, "dsr"), 0.5, 0.25)
    pairs, neurons = mlp_counts(40, 12, 10, 1)
    # a shared head has no bias: the count includes one per output neuron anyway (an upper bound)
    assert pairs - 10 == sum(np.size(p.weight) for p in net.projections if p.receptor == "excitatory")
    assert neurons == sum(p.size for p in net.populations)


def measured_peak(build, n_in, numerics=("float", "fixed"), samples=20, duration=100.0):
    """The deploy step as `spikemem continual` runs it, under tracemalloc: bytes at its peak."""
    tracemalloc.start()
    try:
        net = build()
        net.save(os.path.join(tempfile.mkdtemp(), "network.json"))
        px = np.random.default_rng(0).random((samples, n_in))
        for num in numerics:
            classify(on_board(net, num), px, duration)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_estimate_bounds_what_the_deploy_step_allocates():
    from spikemem.models.hlop.export_conv import cnn_to_network
    from spikemem.models.hlop.model import SpikingMLP
    shape, channels = (1, 12, 12), (4, 6)
    m = cnn(shape, channels)
    est = require_deploy("cnn", shape, 0, channels, 10, 1, 20, 100.0).total
    peak = measured_peak(lambda: cnn_to_network(m, 0.5, 0.25, shape), 144, ("float",))   # layers: float only
    assert peak <= est <= 3 * peak
    mlp = SpikingMLP(256, 100, 10, 4, "dsr")
    est = require_deploy("mlp", (256,), 100, (), 10, 1, 20, 100.0).total
    peak = measured_peak(lambda: to_network(mlp, 0.5, 0.25), 256)
    assert peak <= est <= 3 * peak


def test_the_cifar_cnn_deploy_step_is_planned_before_training(tmp_path, capsys, monkeypatch):
    """800 CIFAR-format images, the reference CNN (64, 128, 256 channels), a head per task. As
    synapse lists (136 million) its deploy step needed about 76 GiB; kept as layer connectors
    (779,968 kernel values: 3x3 kernels 64x3 + 128x64 + 256x128, ten 10 x 256x4x4 heads) its plan
    is a few GiB, and under a small limit it is refused before the data is even loaded, naming
    the parts."""
    values, biases, neurons, scratch = cnn_counts((3, 32, 32), (64, 128, 256), 10, 10)
    assert values == 64 * 3 * 9 + 128 * 64 * 9 + 256 * 128 * 9 + 10 * 10 * 256 * 4 * 4
    assert biases == 64 * 32 * 32 + 128 * 16 * 16 + 256 * 8 * 8 + 10 * 10
    est = deploy_estimate("cnn", values, neurons, 3 * 32 * 32, 100, 100.0, 100, biases, scratch)
    assert 2**30 < est.total < 8 * 2**30
    from hlop_samples import write_cifar100
    write_cifar100(tmp_path, per_class_train=8, per_class_test=2)
    monkeypatch.setenv("SPIKEMEM_MEMORY_LIMIT", "1G")
    out = tmp_path / "o"
    assert main(["continual", "--dataset", "cifar100", "--arch", "cnn", "--data-dir", str(tmp_path),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("spikemem: error: the deploy step of the cnn 3x32x32 (channels 64,128,256) network "
                          "(779,968 kernel values, 114,788 listed synapses")
    assert "needs about 4.5 GiB (spikes (assumed rate)" in err and "memory limit is 1.0 GiB" in err
    assert "--export-samples 0 skips the deploy step" in err
    assert not out.exists()
    with pytest.raises(ResourceError):           # the same plan from Python
        require_deploy("cnn", (3, 32, 32), 0, (64, 128, 256), 10, 10, 100, 100.0)
