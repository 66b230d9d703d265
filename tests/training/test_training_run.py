"""A tiny training run on synthetic stars: it lowers the loss, and the same seed gives the same network."""

import numpy as np
import pytest
import torch

from bossnet_gui.model.network import BossNet, ModelArgs
from bossnet_gui.training.library import MILES, STAR, LabelledStar, label_vector
from bossnet_gui.training.simulate import Augmentation
from bossnet_gui.training.train import Schedule, WeightAverage, evaluate_loss, fit, fixed_views, masked_loss, remove_flux_offset
from bossnet_gui.training.views import LabelScaling, ViewMaker

TINY = ModelArgs(model_dim=2, dim_mults=(1, 2), kernel_size=9, adapt_pool_output_dim=16, num_linear=2, linear_dim=16, extra_input_channels=1)
SCHEDULE = Schedule(batch_size=16, steps_per_epoch=6, max_epochs=2, patience=5, learning_rate=3e-3, validation_views=2, easy_epochs=1, outliers_per_batch=4)


def synthetic_star(i: int, teff: float, logg: float) -> LabelledStar:
    """A blackbody with Balmer-like lines whose depth follows Teff: enough signal for a few steps."""
    wave = np.arange(3500.0, 9500.0, 1.0)
    planck = 1.0 / (wave**5 * (np.exp(1.4388e8 / (wave * teff)) - 1.0))
    lines = sum(np.exp(-0.5 * ((wave - c) / 4.0) ** 2) for c in (4102.0, 4341.0, 4862.0, 6564.0))
    flux = planck / planck.max() * (1.0 - 0.5 * (teff / 10000.0) * lines)
    return LabelledStar(f"SYN {i}", f"SYN{i}", MILES, "", wave, flux, label_vector(teff, logg, 0.0), STAR, 2.5)


def setup():
    stars = [synthetic_star(i, t, g) for i, (t, g) in enumerate([(4000, 4.6), (5000, 4.4), (6000, 4.2), (7000, 4.0), (8000, 3.9), (9000, 3.8)])]
    views = ViewMaker(stars, BossNet(TINY), Augmentation(snr_range=(20.0, 100.0)))
    labels = np.array([s.labels for s in stars])
    return views, LabelScaling.from_labels(labels, 200.0), np.ones(len(stars))


def test_two_epochs_reduce_the_loss_and_repeat_exactly():
    torch.set_num_threads(2)
    views, scaling, weights = setup()
    validation = fixed_views(views, list(range(6)), SCHEDULE.validation_views, seed=0, tag="val")
    torch.manual_seed(0)
    untrained = BossNet(TINY)
    remove_flux_offset(untrained)
    before = evaluate_loss(untrained, validation, scaling)
    first, history = fit(views, list(range(6)), weights, validation, scaling, TINY, SCHEDULE, seed=0, log=lambda *_: None)
    assert len(history.validation_loss) == 2
    assert evaluate_loss(first, validation, scaling) < before
    second, _ = fit(views, list(range(6)), weights, validation, scaling, TINY, SCHEDULE, seed=0, log=lambda *_: None)
    for key, value in first.state_dict().items():
        assert torch.equal(value, second.state_dict()[key]), key


def test_flux_kernels_ignore_the_flux_scale():
    torch.manual_seed(1)
    network = BossNet(TINY).eval()
    remove_flux_offset(network)
    x = torch.randn(2, 3, 3900)  # flux, position, coverage as the first convolution sees them
    shifted = x.clone()
    shifted[:, 0] += 5.0  # a 148x brighter spectrum after the log
    conv = network.first_conv.conv_layer
    inner = slice(20, -20)  # away from the zero padding at the grid ends
    assert torch.allclose(conv(x)[..., inner], conv(shifted)[..., inner], atol=1e-4)


def test_missing_labels_are_masked_out_of_the_loss():
    prediction = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    target = torch.tensor([[float("nan"), 1.0], [2.0, float("nan")]])
    assert float(masked_loss(prediction, target)) == pytest.approx(0.0)


def test_huber_loss_is_quadratic_near_zero_and_linear_beyond_delta():
    target = torch.tensor([[0.0, 0.0, float("nan")]])
    prediction = torch.tensor([[0.05, 3.0, 100.0]])
    expected = (0.5 * 0.05**2 / 0.1 + (3.0 - 0.05)) / 2  # the unknown label is left out
    assert float(masked_loss(prediction, target, huber_delta=0.1)) == pytest.approx(expected)
    assert float(masked_loss(prediction, target)) == pytest.approx((0.05**2 + 9.0) / 2)


def test_weight_average_follows_the_weights_with_a_ramped_decay():
    torch.manual_seed(2)
    network = BossNet(TINY)
    start = {k: v.clone() for k, v in network.state_dict().items()}
    average = WeightAverage(network, decay=0.999)
    with torch.no_grad():
        for value in network.state_dict().values():
            if value.dtype.is_floating_point:
                value.add_(1.0)
            else:
                value.add_(7)  # batch counter
    average.update(network)
    ramp = 2 / 11  # (1 + n) / (10 + n) after one update, below the 0.999 cap
    for key, value in average.network.state_dict().items():
        if value.dtype.is_floating_point:
            assert torch.allclose(value, start[key] + (1 - ramp), atol=1e-6), key
        else:
            assert torch.equal(value, network.state_dict()[key]), key
    for _ in range(3000):  # a network that stops moving is reached by its average
        average.update(network)
    weight = "first_conv.conv_layer.weight"
    assert torch.allclose(average.network.state_dict()[weight], network.state_dict()[weight], atol=1e-3)
    assert average.network.state_dict()[weight].data_ptr() != network.state_dict()[weight].data_ptr()
