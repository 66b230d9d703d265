"""Shared reader helpers: the air-to-vacuum conversion the training code also uses."""

import numpy as np
import pytest

from bossnet_gui.io.common import air_to_vacuum, log_linear_wavelength


def _morton_vacuum_to_air(vacuum):
    """Morton (2000) vacuum-to-air, an independent formula to invert against."""
    s2 = (1e4 / vacuum) ** 2
    return vacuum / (1 + 8.34254e-5 + 2.406147e-2 / (130 - s2) + 1.5998e-4 / (38.9 - s2))


@pytest.mark.parametrize(
    "air, vacuum",
    [(6562.80, 6564.61), (4861.33, 4862.69), (3933.663, 3934.777), (8542.09, 8544.44)],  # Hα, Hβ, Ca K, Ca IR
)
def test_air_to_vacuum_known_lines(air, vacuum):
    assert air_to_vacuum(air) == pytest.approx(vacuum, abs=0.01)


def test_air_to_vacuum_inverts_morton():
    vacuum = np.linspace(2500, 25000, 1000)
    np.testing.assert_allclose(air_to_vacuum(_morton_vacuum_to_air(vacuum)), vacuum, atol=1e-4)


def test_air_to_vacuum_leaves_the_far_uv_and_shapes_alone():
    assert air_to_vacuum(1500.0) == 1500.0
    out = air_to_vacuum(np.full((2, 3), 5000.0, dtype=np.float32))
    assert out.shape == (2, 3) and out.dtype == np.float64 and np.all(out > 5000)


def test_log_linear_wavelength():
    grid = log_linear_wavelength(3.5, 1e-4, 3, first_pixel=1)
    np.testing.assert_allclose(grid, 10 ** np.array([3.5 - 1e-4, 3.5, 3.5 + 1e-4]))
