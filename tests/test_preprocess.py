"""The NumPy pre-processing against the torch arithmetic of the published pipeline it replaces."""

import numpy as np
import pytest
import torch

from bossnet_gui.preprocess import GRID_SIZE, GRID_START, GRID_STOP, Resampler, boss_grid, float32_linspace, log_scale, row_quantile


@pytest.mark.skipif(torch.backends.cpu.get_cpu_capability() == "DEFAULT", reason="torch's non-FMA kernel rounds twice (one ulp off)")
@pytest.mark.parametrize("start, stop, steps", [(GRID_START, GRID_STOP, GRID_SIZE), (0, 1, 11), (-5, 7, 1001), (1, 100, 2), (3800, 8900, 3901)])
def test_linspace_is_torchs_bit_for_bit(start, stop, steps):
    np.testing.assert_array_equal(float32_linspace(start, stop, steps), torch.linspace(start, stop, steps).numpy())


def test_boss_grid_is_the_float32_grid_as_float64():
    grid = boss_grid()
    assert grid.dtype == np.float64 and len(grid) == GRID_SIZE
    assert grid[0] == GRID_START and grid[-1] == GRID_STOP and (np.diff(grid) > 0).all()
    np.testing.assert_array_equal(grid, grid.astype(np.float32))


def ragged_batch(seed=3, spectra=7, pixels=500):
    """Wavelengths and fluxes with the awkward cases: unsorted, repeated wavelengths, NaN gaps,
    one usable pixel, two usable pixels, coverage narrower than the grid."""
    rng = np.random.default_rng(seed)
    wave = np.sort(rng.uniform(3500, 9500, (spectra, pixels)), axis=1)
    wave[2] = wave[2][::-1]
    wave[3, 100:110] = wave[3, 100]
    wave[6] = np.linspace(5000, 6000, pixels)
    flux = rng.normal(5, 1, (spectra, pixels)).astype(np.float32)
    flux[rng.random((spectra, pixels)) < 0.1] = np.nan
    flux[4, 1:] = np.nan
    flux[5] = np.nan
    flux[5, [10, 400]] = 1, 2
    return wave, flux


def test_resampling_is_np_interp_per_spectrum_skipping_nan():
    wave, flux = ragged_batch()
    grid = boss_grid()
    resampled = Resampler(wave, np.isnan(flux), grid).apply(flux)
    assert resampled.shape == (len(flux), GRID_SIZE) and resampled.dtype == np.float64
    for row, w, f in zip(resampled, wave, flux):
        keep = ~np.isnan(f)
        order = np.argsort(w[keep], kind="stable")
        np.testing.assert_allclose(row, np.interp(grid, w[keep][order], f[keep][order]), rtol=1e-14, atol=1e-12)


def test_resampling_draws_at_once_equals_one_draw_at_a_time():
    wave, flux = ragged_batch()
    resampler = Resampler(wave, np.isnan(flux), boss_grid())
    draws = np.random.default_rng(0).normal(size=(4, *flux.shape)).astype(np.float32)
    together = resampler.apply(draws)
    assert together.shape == (4, len(flux), GRID_SIZE)
    for draw, resampled in zip(draws, together):
        np.testing.assert_array_equal(resampled, resampler.apply(draw))


def test_extrapolated_fraction_counts_the_grid_beyond_native_coverage():
    wave, flux = ragged_batch()
    resampler = Resampler(wave, np.isnan(flux), boss_grid())
    assert resampler.extrapolated_fraction[6] == pytest.approx(1 - 1000 / 5100, abs=1e-3)
    assert resampler.extrapolated_fraction[0] == 0


def test_a_spectrum_without_usable_pixels_is_refused():
    wave, flux = ragged_batch()
    flux[1] = np.nan
    with pytest.raises(ValueError, match="no usable pixel"):
        Resampler(wave, np.isnan(flux), boss_grid())


@pytest.mark.parametrize("shape", [(6, 3900), (3, 4, 3900), (2, 8575), (5, 7), (4, 2), (3, 1)])
@pytest.mark.parametrize("q", [0.95, 0.5, 0.3])
def test_row_quantile_is_torch_quantile_bit_for_bit(shape, q):
    values = np.random.default_rng(1).normal(0, 3, shape).astype(np.float32)
    expected = torch.quantile(torch.from_numpy(values), q, dim=-1, keepdim=True).numpy()
    np.testing.assert_array_equal(row_quantile(values, q), expected)


def published_log_scale(flux: np.ndarray) -> np.ndarray:
    logged = torch.log(torch.clamp(torch.from_numpy(flux), min=1e-6))
    return torch.minimum(logged, torch.quantile(logged, 0.95, dim=-1, keepdim=True) + 1).numpy()


def test_log_scale_is_the_published_scaling():
    flux = np.exp(np.random.default_rng(2).normal(0, 2, (3, 5, 3900))).astype(np.float32)
    flux[..., :50] = 0  # below the floor
    flux[..., 50:80] *= 1e4  # above the ceiling
    scaled = log_scale(flux)
    assert scaled.dtype == np.float32 and (scaled[..., :50] == np.float32(np.log(np.float32(1e-6)))).all()
    # NumPy's and torch's float32 log are different approximations (each within about an ulp of the
    # true value, a few ulps apart near log 1 = 0); clipping and quantile add nothing to that
    eps = np.finfo(np.float32).eps
    np.testing.assert_allclose(scaled, published_log_scale(flux), rtol=2 * eps, atol=8 * eps)


def test_log_scale_of_a_row_with_nan_is_nan_like_torch():
    flux = np.ones((2, 10), np.float32)
    flux[1, 3] = np.nan
    scaled = log_scale(flux)
    assert (scaled[0] == 0).all() and np.isnan(scaled[1]).all()
    np.testing.assert_array_equal(np.isnan(scaled), np.isnan(published_log_scale(flux)))
