import os

import pytest


@pytest.fixture(scope="session")
def api_cache(tmp_path_factory):
    """A fresh API-index cache for the whole run (built once, by the first test that needs it)."""
    path = tmp_path_factory.mktemp("api-cache")
    old = os.environ.get("TORCH2MS_CACHE_DIR")
    os.environ["TORCH2MS_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("TORCH2MS_CACHE_DIR", None)
    else:
        os.environ["TORCH2MS_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def index(api_cache):
    from torch2ms.check.api_index import ApiIndex

    idx = ApiIndex()
    idx.module("mindspore")  # builds the MindSpore modules in one go
    idx.save()
    return idx


@pytest.fixture
def check(index):
    """check(source) -> FileResult for a planted file."""
    from torch2ms.check import check_source

    def run(source: str):
        return check_source(source, "planted.py", index=index)

    return run
