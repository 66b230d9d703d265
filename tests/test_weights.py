"""Weight loading: our bundled format, published directories, and clear errors."""

import shutil

import pytest
import torch

from bossnet_gui.errors import ModelLoadError
from bossnet_gui.model import load_bundled, load_published, resolve_model, save_bundled
from bossnet_gui.model.network import BossNet, ModelArgs
from bossnet_gui.model.ood import FeatureDistance, OutlierProbe
from bossnet_gui.model.published import BOSS_COLUMNS, BOSS_STATS
from bossnet_gui.model.weights import update_bundled

ARGS = ModelArgs(model_dim=2, dim_mults=(1, 2), adapt_pool_output_dim=8, num_linear=2, linear_dim=8)


def _save(path, ood=None):
    torch.manual_seed(0)
    network = BossNet(ARGS)
    content_hash = save_bundled(path, network, BOSS_COLUMNS, BOSS_STATS, "optical", 3900, {"training": {"seed": 1}}, ood=ood)
    return network, content_hash


def test_bundled_round_trip_keeps_weights_metadata_and_hash(tmp_path):
    ood = FeatureDistance.fit(torch.randn(20, 8), n_components=3, k=2).calibrate(torch.randn(10, 8))
    network, content_hash = _save(tmp_path / "m.pt", ood=ood)
    model = load_bundled(tmp_path / "m.pt")
    assert model.content_hash == content_hash and len(content_hash) == 64
    assert model.columns == BOSS_COLUMNS and model.domain == "optical"
    assert model.metadata["training"] == {"seed": 1}
    assert model.metadata["model_args"]["linear_dim"] == 8
    x = torch.randn(2, 1, 3900)
    with torch.inference_mode():
        assert torch.equal(model.network(x), network.eval()(x))
    assert model.ood is not None and model.ood.threshold == pytest.approx(ood.threshold)


def test_edited_weights_fail_their_hash(tmp_path):
    _save(tmp_path / "m.pt")
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    payload["state_dict"]["linear_sequential.2.bias"] += 1
    torch.save(payload, tmp_path / "m.pt")
    with pytest.raises(ModelLoadError, match="SHA-256"):
        load_bundled(tmp_path / "m.pt")


def test_mismatched_checkpoint_names_what_is_wrong(tmp_path, reference):
    model_dir = tmp_path / "model"
    shutil.copytree(reference / "official_tiny_boss", model_dir)
    (model_dir / "model_args.yaml").write_text((reference / "official_tiny_boss" / "model_args.yaml").read_text().replace("linear_dim: 32", "linear_dim: 64"))
    with pytest.raises(ModelLoadError, match=r"wrong shape: linear_sequential\.0\.linear_layer\.weight \(32, 512\) != expected \(64, 512\)"):
        load_published(model_dir)


def test_missing_chunk_is_reported(tmp_path, reference):
    model_dir = tmp_path / "model"
    shutil.copytree(reference / "official_tiny_boss", model_dir)
    (model_dir / "model_chunk_4").unlink()
    with pytest.raises(ModelLoadError, match="model_chunk_0 ... model_chunk_N"):
        load_published(model_dir)


def test_stats_file_must_cover_every_output(tmp_path, reference):
    with pytest.raises(ModelLoadError, match="no MEAN/STD for 'rv'"):
        load_published(reference / "official_tiny_boss", reference / "official_stats_apogee.yaml")


def test_resolve_explains_how_to_use_published_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("BOSSNET_GUI_WEIGHTS", str(tmp_path))
    with pytest.raises(ModelLoadError, match="model_args.yaml \\+ model_chunk_0..9"):
        resolve_model()
    _save(tmp_path / "mine.pt")
    assert resolve_model().name == "mine"
    assert resolve_model("mine").name == "mine"
    with pytest.raises(ModelLoadError, match="unknown model 'other' \\(bundled: mine\\)"):
        resolve_model("other")


def test_resolve_takes_a_published_directory(reference):
    model = resolve_model(reference / "official_tiny_boss")
    assert model.columns == BOSS_COLUMNS and model.input_length == 3900


def test_scorer_with_probe_round_trips_and_rewrite_keeps_the_network(tmp_path):
    ood = FeatureDistance.fit(torch.randn(20, 8), n_components=3, k=2).calibrate(torch.randn(10, 8))
    network, content_hash = _save(tmp_path / "m.pt", ood=ood)
    probe = OutlierProbe(torch.randn(8), 0.5, typical=-1.0, limit=2.0)
    update_bundled(tmp_path / "m.pt", {"training": {"seed": 1}, "scorer": {"seed": 0}}, ood.with_probe(probe))
    model = load_bundled(tmp_path / "m.pt")
    assert model.content_hash == content_hash and model.metadata["scorer"] == {"seed": 0}
    assert torch.equal(model.ood.probe.weight, probe.weight) and model.ood.probe.limit == 2.0
    features = torch.randn(5, 8)
    assert torch.equal(model.ood.score(features), ood.with_probe(probe).score(features))
    assert torch.load(tmp_path / "m.pt", weights_only=True)["ood"]["kind"] == "feature-knn/2"
