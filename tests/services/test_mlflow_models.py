"""What the server reads from an MLflow model directory: ids, the MLmodel file (YAML, plain
data only) and its signature; hostile input is refused or ignored, never a crash."""

from __future__ import annotations

import pytest

from modelward.errors import InvalidInput, NotFound
from modelward.tracking.mlflow_models import _signature as signature
from modelward.tracking.mlflow_models import (
    logged_model_id,
    parse_logged_model_id,
    read_mlmodel,
)

RUN = "a" * 32


def test_a_logged_model_id_names_its_run_and_model() -> None:
    assert parse_logged_model_id(logged_model_id(RUN, "mödel v2")) == (RUN, "mödel v2")


@pytest.mark.parametrize("bad", ["m-x", f"m-{RUN}-zz", f"m-{RUN}-ff", f"m-{RUN}", "../etc"])
def test_ids_this_server_did_not_make_are_not_found(bad: str) -> None:
    with pytest.raises(NotFound):
        parse_logged_model_id(bad)


def test_mlmodel_is_read_as_plain_yaml() -> None:
    document = read_mlmodel(b"flavors:\n  sklearn:\n    pickled_model: model.pkl\n")
    assert document == {"flavors": {"sklearn": {"pickled_model": "model.pkl"}}}
    with pytest.raises(InvalidInput):  # a python object tag is not plain data
        read_mlmodel(b"!!python/object/apply:os.system ['true']")
    with pytest.raises(InvalidInput):
        read_mlmodel(b"[" * 100_000)  # nested beyond the parser's recursion
    with pytest.raises(InvalidInput):
        read_mlmodel(b"just text")


def test_signature_columns_from_mlflow_colspecs() -> None:
    spec = '[{"type": "double", "name": "x"}, {"type": "long", "name": "n", "required": true}]'
    assert signature({"inputs": spec}) == {
        "columns": [{"name": "x", "type": "float"}, {"name": "n", "type": "integer"}]
    }
    tensor = '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]'
    assert signature({"inputs": tensor}) == {"columns": []}  # no named columns to check
    assert signature({"inputs": "[" * 100_000}) == {"columns": []}
    assert signature(None) == {"columns": []}
