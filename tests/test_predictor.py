"""Predictor behaviour: Monte-Carlo parity with the published per-draw loop, determinism, streaming, failures."""

import numpy as np
import pytest
import torch

from bossnet_gui.errors import SpectrumReadError
from bossnet_gui.model import LoadedModel, Predictor, load_published
from bossnet_gui.model.network import BossNet, ModelArgs
from bossnet_gui.model.ood import FeatureDistance
from bossnet_gui.model.predictor import noise_seed
from bossnet_gui.model.published import APOGEE_COLUMNS, APOGEE_STATS, BOSS_COLUMNS, BOSS_STATS
from bossnet_gui.preprocess import boss_grid
from bossnet_gui.spectrum import APOGEE, OPTICAL, Spectrum, SpectrumMeta

SMALL = ModelArgs(model_dim=2, dim_mults=(1, 2, 4), adapt_pool_output_dim=16, num_linear=2, linear_dim=16)


def small_model(domain=OPTICAL, extra_channels=0, seed=0) -> LoadedModel:
    torch.manual_seed(seed)
    columns, stats, length = (BOSS_COLUMNS, BOSS_STATS, 3900) if domain == OPTICAL else (APOGEE_COLUMNS, APOGEE_STATS, 8575)
    args = ModelArgs(**{**SMALL.to_dict(), "num_targets": len(columns), "extra_input_channels": extra_channels})
    return LoadedModel("small", BossNet(args).eval(), columns, stats, domain, length, "hash", "memory")


def synthetic(name: str, start=3600.0, stop=10300.0, n=4000, seed=0, domain=OPTICAL) -> Spectrum:
    rng = np.random.default_rng(seed)
    wave = np.geomspace(start, stop, n)
    flux = (5 + 2 * np.sin(wave / 300.0) + rng.normal(0, 0.2, n)).astype(np.float32)
    error = np.full(n, 0.3, dtype=np.float32)
    meta = SpectrumMeta(source=f"/data/{name}.fits", hdu="1", object_id=name, domain=domain)
    return Spectrum(wave, flux, error, np.ones(n, bool), meta)


def release_loop(model: LoadedModel, spectra, draws: int, seed: int):
    """The published procedure, one draw at a time: noise on native pixels, np.interp, log scale, network."""
    def run(fluxes):
        grid = boss_grid()
        rows = []
        for spectrum, flux in zip(spectra, fluxes):
            keep = ~np.isnan(flux)
            rows.append(np.interp(grid, spectrum.wavelength[keep], flux[keep]))
        x = torch.tensor(np.array(rows), dtype=torch.float32)
        x = torch.log(torch.clamp(x, min=1e-6))
        x = torch.minimum(x, torch.stack([torch.quantile(r, 0.95) for r in x])[:, None] + 1)
        with torch.inference_mode():
            return model.unnormalise(model.network(x[:, None, :]).double())

    normals = [np.random.default_rng(noise_seed(seed, s)).standard_normal((draws, s.n_pixels), dtype=np.float32) for s in spectra]
    point = run([s.flux for s in spectra])
    samples = torch.stack([run([s.flux + s.error * z[d] for s, z in zip(spectra, normals)]) for d in range(draws)])
    return point, torch.median(samples, 0).values, torch.std(samples, 0)


def test_batched_draws_equal_the_published_per_draw_loop(reference):
    model = load_published(reference / "official_tiny_boss")
    spectra = [synthetic(f"s{i}", seed=i) for i in range(3)]
    result = Predictor(model).predict(spectra, draws=7, seed=11)
    point, median, std = release_loop(model, spectra, draws=7, seed=11)
    n = len(model.columns)
    np.testing.assert_allclose(result.point[:, :n], point.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.median[:, :n], median.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.std[:, :n], std.numpy(), rtol=1e-3, atol=1e-7)
    assert (result.std[:, :n] > 0).all()


def test_same_seed_same_numbers_whatever_the_batching():
    predictor = Predictor(small_model())
    spectra = [synthetic(f"s{i}", seed=i) for i in range(5)]
    a = predictor.predict(spectra, draws=4, seed=3, batch_size=5)
    b = predictor.predict(spectra[::-1], draws=4, seed=3, batch_size=2)
    np.testing.assert_allclose(a.median, b.median[::-1], rtol=1e-5)
    # another batch size can pick another convolution kernel: draws then differ in the last float32 bits,
    # and a spread far below the value (σ ~1e-5 of log Teff ~3.7) is only known to that resolution
    resolution = 8 * np.finfo(np.float32).eps * np.abs(a.median)
    assert (np.abs(a.std - b.std[::-1]) <= 1e-4 * np.abs(a.std) + resolution).all()
    c = predictor.predict(spectra, draws=4, seed=4, batch_size=5)
    assert not np.allclose(a.std, c.std)


def test_inputs_made_in_parallel_parts_equal_those_made_whole(monkeypatch):
    import bossnet_gui.model.predictor as predictor_module

    predictor = Predictor(small_model(extra_channels=1))
    # different lengths and coverage, so each part pads to its own width
    spectra = [synthetic(f"s{i}", start=3600 + 150 * i, n=3000 + 97 * i, seed=i) for i in range(11)]
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # parts run in threads as many as torch may use
    try:
        in_parts = predictor._prepare(spectra, draws=3, seed=5)
        assert predictor._preparers() is not None
    finally:
        torch.set_num_threads(threads)
    monkeypatch.setattr(predictor_module, "PREPARE_PARTS", 1)
    whole = predictor._prepare(spectra, draws=3, seed=5)
    assert in_parts[1].shape == (3, 11, 2, 3900)
    for a, b in zip(in_parts, whole):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_teff_is_derived_per_draw():
    result = Predictor(small_model()).predict([synthetic("a")], draws=5, seed=0)
    cols = result.columns
    assert "Teff" in cols
    np.testing.assert_allclose(result.point[0, cols.index("Teff")], 10 ** result.point[0, cols.index("logTeff")])
    assert result.std[0, cols.index("Teff")] > 0


def test_streams_one_result_per_batch_and_stops_when_asked():
    predictor = Predictor(small_model())
    produced = []

    def spectra():
        for i in range(10):
            produced.append(i)
            yield synthetic(f"s{i}", seed=i)

    stream = predictor.predict_iter(spectra(), draws=2, batch_size=3)
    first = next(stream)
    assert len(first) == 3 and first.start == 0
    assert len(produced) == 3  # nothing read beyond the first batch
    stream.close()  # cancel
    assert len(produced) == 3


def test_failures_keep_their_place_and_reason():
    predictor = Predictor(small_model())
    items = [
        synthetic("good1"),
        SpectrumReadError("/data/broken.fits", "empty file (0 bytes)"),
        synthetic("ir", domain=APOGEE),
        Spectrum(np.linspace(4000, 5000, 10), np.full(10, np.nan, np.float32), np.ones(10, np.float32), np.zeros(10, bool), SpectrumMeta("/d/nan.fits")),
        synthetic("uv", start=1000, stop=2000),
        synthetic("good2", seed=2),
    ]
    result = predictor.predict(items, draws=3, batch_size=4)
    assert result.status[0] == "ok" and result.status[5] == "ok"
    assert result.status[1] == "empty file (0 bytes)"
    assert "APOGEE near-IR spectrum" in result.status[2]
    assert "no finite flux" in result.status[3]
    assert "outside the model's 3800-8900 Å grid" in result.status[4]
    assert np.isfinite(result.point[[0, 5]]).all()
    assert np.isnan(result.point[1:5]).all()
    assert result.sources[1] == ("/data/broken.fits", "")


def _with_flux(spectrum: Spectrum, flux, mask=None) -> Spectrum:
    flux = np.asarray(flux, dtype=np.float32)
    return Spectrum(spectrum.wavelength, flux, spectrum.error, spectrum.mask if mask is None else mask, spectrum.meta)


@pytest.mark.parametrize(
    "flux, mask, reason",
    [
        (0.0, None, "no usable pixel in 3800-8900 Å: the flux is zero or negative everywhere"),
        (-5.0, None, "no usable pixel in 3800-8900 Å: the flux is zero or negative everywhere"),
        (5.0, np.zeros(4000, bool), "no usable pixel in 3800-8900 Å: every pixel with flux is masked"),
    ],
)
def test_a_spectrum_without_usable_pixels_is_no_star(flux, mask, reason):
    spectrum = _with_flux(synthetic("dead"), np.full(4000, flux), mask)
    result = Predictor(small_model()).predict([spectrum], draws=2)
    assert result.status[0].startswith(reason)
    assert np.isnan(result.point).all()


def test_a_few_usable_pixels_are_no_star():
    good = synthetic("few")
    mask = np.zeros(good.n_pixels, bool)
    mask[2000:2010] = True
    result = Predictor(small_model()).predict([_with_flux(good, good.flux, mask)], draws=0)
    assert result.status[0] == "only 10 usable pixels in 3800-8900 Å (a spectrum needs 16)"


def test_a_row_without_finite_values_never_says_ok(monkeypatch):
    predictor = Predictor(small_model())
    predict_batch = predictor.predict_batch

    def nan_for_the_first(spectra, draws, seed):
        arrays = predict_batch(spectra, draws, seed)
        arrays["point"][0] = np.nan
        return arrays

    monkeypatch.setattr(predictor, "predict_batch", nan_for_the_first)
    result = predictor.predict([synthetic("a"), synthetic("b", seed=1)], draws=0)
    assert result.status == ["the network gave no finite values for this spectrum", "ok"]


def test_partial_coverage_reports_extrapolated_fraction():
    result = Predictor(small_model()).predict([synthetic("narrow", start=5000, stop=6000), synthetic("full")], draws=0)
    assert result.extrapolated_fraction[0] == pytest.approx(1 - 1000 / 5100, abs=0.01)
    assert result.extrapolated_fraction[1] == 0


def test_apogee_model_takes_the_apstar_grid_as_is():
    spectrum = synthetic("ir", start=15100, stop=17000, n=8575, domain=APOGEE)
    predictor = Predictor(small_model(APOGEE))
    result = predictor.predict([spectrum, synthetic("short", n=100, domain=APOGEE)], draws=2)
    assert result.status[0] == "ok" and result.columns[:3] == APOGEE_COLUMNS
    assert "8575-pixel apStar grid" in result.status[1]
    x, _ = predictor.network_input([spectrum])
    assert x.shape == (1, 8575)


def test_coverage_channel_feeds_networks_that_take_one():
    predictor = Predictor(small_model(extra_channels=1))
    result = predictor.predict([synthetic("narrow", start=5000, stop=6000)], draws=2)
    assert np.isfinite(result.point).all()


def test_ood_score_uses_the_hidden_layer():
    model = small_model()
    predictor = Predictor(model)
    typical = [synthetic(f"t{i}", seed=i) for i in range(12)]
    inputs, _, _ = predictor._prepare(typical, 0, 0)
    _, hidden = predictor._run_network(inputs.flatten(0, 1))
    scorer = FeatureDistance.fit(hidden[:8], n_components=4, k=2).calibrate(hidden[8:])
    scored = Predictor(LoadedModel(**{**model.__dict__, "ood": scorer}))
    odd = Spectrum(np.geomspace(3600, 10300, 4000), np.geomspace(1e3, 1e-3, 4000).astype(np.float32), np.full(4000, 0.1, np.float32), np.ones(4000, bool), SpectrumMeta("/d/odd.fits"))
    result = scored.predict(typical[8:] + [odd], draws=0)
    assert np.median(result.ood_score[:4]) == pytest.approx(1.0, rel=0.5)
    assert result.ood_score[-1] > 3 * np.median(result.ood_score[:4])
    assert np.isnan(predictor.predict([odd], draws=0).ood_score).all()
