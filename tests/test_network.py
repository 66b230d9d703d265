import json

import pytest
import torch
from torch.nn import functional as F

from bossnet_gui.model.fast import FastBossNet, pairwise_max
from bossnet_gui.model.network import BossNet, ModelArgs


@pytest.mark.parametrize("name", ["model_boss", "model_apogee"])
def test_state_dict_matches_published_manifest(reference, name):
    manifest = json.loads((reference / "official_state_dict_manifest.json").read_text())[name]
    network = BossNet(ModelArgs.from_dict(manifest["model_args"]))
    expected = [(key, list(shape), dtype) for key, shape, dtype in manifest["state_dict"]]
    got = [(k, list(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in network.state_dict().items()]
    assert got == expected
    assert sum(p.numel() for p in network.parameters()) == manifest["n_parameters"]


def test_flops_of_published_boss_network():
    # the reference README: about 1.1 GFLOP per spectrum per pass
    assert BossNet(ModelArgs()).flops_per_spectrum(3900) == pytest.approx(1.1e9, rel=0.01)


def test_unknown_model_args_are_named():
    with pytest.raises(ValueError, match="bogus"):
        ModelArgs.from_dict({"model_dim": 4, "bogus": 1})


def _randomise_batch_norm(network):
    generator = torch.Generator().manual_seed(3)
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.num_features, generator=generator))
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
            module.weight.data.copy_(torch.randn(module.num_features, generator=generator))


@pytest.mark.parametrize("length", [3900, 8575])
def test_fast_network_equals_reference_network(length):
    torch.manual_seed(0)
    args = ModelArgs(adapt_pool_output_dim=16, num_linear=2, linear_dim=32, num_targets=3)
    network = BossNet(args).eval()
    _randomise_batch_norm(network)
    x = torch.randn(5, 1, length)
    with torch.inference_mode():
        expected = network(x)
        got = FastBossNet(network)(x)
    assert torch.allclose(got, expected, rtol=1e-5, atol=1e-5 * expected.abs().max().item())
    assert not torch.allclose(expected[0], expected[1])  # a real, input-dependent output


@pytest.mark.parametrize("length", [3900, 3901])
def test_pairwise_max_is_max_pooling(length):
    x = torch.randn(3, 4, 1, length).contiguous(memory_format=torch.channels_last)
    x[1, 2, 0, 7] = float("nan")
    pooled = pairwise_max(x)
    assert pooled.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(pooled.nan_to_num(-9.0), F.max_pool2d(x, (1, 2)).nan_to_num(-9.0))
    assert pooled[1, 2, 0, 3].isnan()


def test_extra_input_channel_widens_first_convolution():
    network = BossNet(ModelArgs(model_dim=2, dim_mults=(1, 2), adapt_pool_output_dim=4, num_linear=1, linear_dim=8, extra_input_channels=1))
    assert network.first_conv.conv_layer.weight.shape[1] == 3  # flux, position, extra
    assert network(torch.randn(2, 2, 100)).shape == (2, 4)
