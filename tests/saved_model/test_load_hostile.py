"""Loading refuses what would reach outside the model: asset paths that escape, missing files."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from savedmodel._proto import meta_graph_pb2, saved_model_pb2
from savedmodel.errors import PermissionDeniedError
from savedmodel.format import saved_model_file
from savedmodel.saved_model.load import load

TF1_WITH_ASSET = "saved_model_half_plus_two_cpu/00000123"


def _copy_with_asset_name(serving_fixtures, tmp_path, filename: str):
    model = tmp_path / "model"
    shutil.copytree(serving_fixtures / TF1_WITH_ASSET, model)
    proto = saved_model_file.read_saved_model(model)
    collection = proto.meta_graphs[0].collection_def["saved_model_assets"].any_list.value
    asset = meta_graph_pb2.AssetFileDef.FromString(collection[0].value)
    asset.filename = filename
    collection[0].value = asset.SerializeToString()
    saved_model_file.write_saved_model(model, proto)
    return model


@pytest.mark.parametrize("filename", ["../../outside.txt", "/etc/passwd", "a\x00b"])
def test_asset_names_that_escape_assets_are_refused(serving_fixtures, tmp_path, filename) -> None:
    model = _copy_with_asset_name(serving_fixtures, tmp_path, filename)
    with pytest.raises(PermissionDeniedError, match="assets"):
        load(model)


def test_asset_symlink_leaving_the_model_is_refused(serving_fixtures, tmp_path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("sentinel\n")
    model = _copy_with_asset_name(serving_fixtures, tmp_path, "link.txt")
    (model / "assets" / "link.txt").symlink_to(outside)
    with pytest.raises(PermissionDeniedError, match="outside the model's assets"):
        load(model)


def test_a_plain_asset_name_still_loads(serving_fixtures, tmp_path) -> None:
    model = _copy_with_asset_name(serving_fixtures, tmp_path, "foo.txt")
    out = load(model).signatures["serving_default"](x=np.array([[2.0]], np.float32))
    np.testing.assert_allclose(next(iter(out.values())).numpy(), [[3.0]])


def test_saved_model_without_meta_graphs(tmp_path) -> None:
    saved_model_file.write_saved_model(tmp_path, saved_model_pb2.SavedModel(saved_model_schema_version=1))
    with pytest.raises(Exception, match="holds no MetaGraphDef"):
        load(tmp_path)
