"""The OOD score's outlier probe: its simulated white-dwarf-like spectra and the logistic read-out."""

import numpy as np
import pytest
import torch

from bossnet_gui.model.network import BossNet
from bossnet_gui.model.ood import FeatureDistance, OutlierProbe
from bossnet_gui.training.calibrate import fit_outlier_probe
from bossnet_gui.training import views as view_module
from bossnet_gui.training.simulate import BALMER_VACUUM, TELLURIC_BANDS, Augmentation, Template, balmer_dwarf, blackbody, lines_weakened
from bossnet_gui.training.views import ViewMaker

from .test_training_run import TINY, synthetic_star


def flat_template() -> Template:
    ln_start, ln_step = np.log(3500.0), 5e-5
    n = int((np.log(9500.0) - ln_start) / ln_step)
    return Template(ln_start, ln_step, np.ones(n, np.float32))


def test_balmer_dwarf_has_broad_lines_at_the_balmer_wavelengths():
    like = flat_template()
    dwarf = balmer_dwarf(20000.0, width=30.0, depth=0.6, like=like)
    relative = dwarf.flux / blackbody(20000.0, like).flux
    wave = like.wavelength
    near_hbeta = np.abs(wave - BALMER_VACUUM[1]) < 150
    assert wave[near_hbeta][np.argmin(relative[near_hbeta])] == pytest.approx(BALMER_VACUUM[1], abs=1.0)
    absorbed = 1 - relative[near_hbeta]
    full_width = np.ptp(wave[near_hbeta][absorbed > absorbed.max() / 2])
    assert 40 < full_width < 120  # Lorentzian half width 30 Å × 1.3 at Hβ; main-sequence lines at R 1,800: a few Å
    assert relative[np.argmin(np.abs(wave - 5500))] > 0.9  # continuum between the lines


def test_weakened_lines_keep_the_continuum_and_the_telluric_bands():
    like = flat_template()
    wave = like.wavelength
    line = (np.abs(wave - 5000.0) < 3.0) | (np.abs(wave - 7640.0) < 3.0)  # a stellar line and one in the A band
    star = Template(like.ln_start, like.ln_step, np.where(line, 0.5, 1.0).astype(np.float32))
    stripped = lines_weakened(star, strength=0.0)
    at = lambda w: stripped.flux[np.argmin(np.abs(wave - w))]
    assert at(5000.0) == pytest.approx(1.0, abs=1e-3)  # the line is gone
    assert TELLURIC_BANDS[2][0] < 7640.0 < TELLURIC_BANDS[2][1] and at(7640.0) == pytest.approx(0.5, abs=1e-3)
    assert at(6000.0) == pytest.approx(1.0, abs=1e-3)
    assert lines_weakened(star, strength=0.5).flux[np.argmin(np.abs(wave - 5000.0))] == pytest.approx(0.5**0.5, abs=1e-3)


def test_unlike_stars_repeat_with_the_seed_and_are_finite():
    stars = [synthetic_star(i, t, 4.0) for i, t in enumerate([5000, 9000, 20000, 30000])]
    views = ViewMaker(stars, BossNet(TINY), Augmentation(snr_range=(20.0, 100.0)))
    first = views.unlike_stars([0, 1, 2, 3, 0, 1, 2, 3, 0, 1], np.random.default_rng(3))
    again = views.unlike_stars([0, 1, 2, 3, 0, 1, 2, 3, 0, 1], np.random.default_rng(3))
    assert len(first) == 10  # two of each kind
    for a, b in zip(first, again):
        assert np.array_equal(a.flux, b.flux) and np.isfinite(a.flux).all()
    assert views.inputs(first).shape == (10, 2, 3900)


def test_subdwarf_and_featureless_kinds_take_hot_and_warm_stars_from_the_sources(monkeypatch):
    stars = [synthetic_star(i, t, 4.0) for i, t in enumerate([5000, 9000, 20000, 30000])]
    views = ViewMaker(stars, BossNet(TINY), Augmentation(snr_range=(20.0, 100.0)))
    broadened, weakened = [], []
    monkeypatch.setattr(view_module, "velocity_broadened", lambda t, *a: broadened.append(t) or t)
    monkeypatch.setattr(view_module, "lines_weakened", lambda t, *a: weakened.append(t) or t)
    views.unlike_stars([0] * 10, np.random.default_rng(4), sources=[0, 1, 2, 3])  # a batch of one cool star
    subdwarf_seeds = broadened[0::2]  # per 5 kinds: subdwarf-like (kind 1), then very broad-lined (kind 2)
    hot = [views.templates[2], views.templates[3]]
    assert len(subdwarf_seeds) == 2 and all(any(t is h for h in hot) for t in subdwarf_seeds)
    assert len(weakened) == 2 and all(any(t is w for w in views.templates[1:]) for t in weakened)
    broadened.clear()
    views.unlike_stars([0] * 10, np.random.default_rng(4))  # without sources: the batch's cool star
    assert all(t is views.templates[0] for t in broadened)


def test_probe_learns_the_direction_that_sets_unlike_spectra_apart():
    rng = np.random.default_rng(0)
    shift = torch.zeros(16)
    shift[3] = 4.0
    stars, validation = torch.tensor(rng.normal(size=(400, 16)), dtype=torch.float32), torch.tensor(rng.normal(size=(300, 16)), dtype=torch.float32)
    unlike = torch.tensor(rng.normal(size=(200, 16)), dtype=torch.float32) + shift
    probe = fit_outlier_probe(stars, unlike, validation, quantile=0.99)
    again = fit_outlier_probe(stars, unlike, validation, quantile=0.99)
    assert torch.equal(probe.weight, again.weight) and probe.bias == again.bias
    assert abs(float(probe.weight[3])) / float(probe.weight.norm()) > 0.9
    assert float((probe.logit(unlike) > probe.limit).float().mean()) > 0.9
    assert float((probe.logit(validation) > probe.limit).float().mean()) == pytest.approx(0.01, abs=0.005)


def test_score_is_the_larger_of_distance_and_probe_on_one_scale():
    torch.manual_seed(0)
    train, validation = torch.randn(50, 4), torch.randn(30, 4)
    plain = FeatureDistance.fit(train, n_components=4, k=3).calibrate(validation)
    probe = OutlierProbe(torch.tensor([1.0, 0.0, 0.0, 0.0]), 0.0, typical=0.0, limit=2.0)
    scorer = plain.with_probe(probe)
    at_typical, at_limit, far = torch.zeros(1, 4), torch.tensor([[2.0, 0, 0, 0]]), torch.tensor([[40.0, 0, 0, 0]])
    assert float(probe.on_scale(at_typical, scorer.threshold)) == pytest.approx(1.0)
    assert float(probe.on_scale(at_limit, scorer.threshold)) == pytest.approx(scorer.threshold)
    samples = torch.cat([validation, far])
    assert torch.equal(scorer.score(samples), torch.maximum(plain.score(samples), probe.on_scale(samples, scorer.threshold)))
    below = torch.tensor([[-5.0, 0, 0, 0]])  # the probe says "star": the distance decides
    assert torch.equal(scorer.score(below), plain.score(below))


def test_a_blend_probe_adds_its_own_read_out_and_is_saved_with_the_scorer():
    from dataclasses import replace

    torch.manual_seed(1)
    train, validation = torch.randn(50, 4), torch.randn(30, 4)
    first = OutlierProbe(torch.tensor([1.0, 0.0, 0.0, 0.0]), 0.0, typical=0.0, limit=2.0)
    second = OutlierProbe(torch.tensor([0.0, 10.0, 0.0, 0.0]), 0.0, typical=0.0, limit=2.0)
    one = FeatureDistance.fit(train, n_components=4, k=3).calibrate(validation).with_probe(first)
    both = replace(one, blend_probe=second)
    blend_like = torch.tensor([[0.0, 30.0, 0.0, 0.0]])  # only the second read-out sees it
    assert float(both.score(blend_like)) > float(one.score(blend_like))
    assert float(both.score(blend_like)) == pytest.approx(float(second.on_scale(blend_like, both.threshold)))
    again = FeatureDistance.from_dict(both.to_dict())
    assert torch.equal(again.score(torch.cat([validation, blend_like])), both.score(torch.cat([validation, blend_like])))
    assert FeatureDistance.from_dict(one.to_dict()).blend_probe is None
