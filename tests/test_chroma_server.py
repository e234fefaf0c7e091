"""Chroma in client/server mode, for real: `chroma run` on loopback, the same store through HttpClient."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from longtail.config import Settings
from retrieval import CatalogDB, HashEmbedder, Store, make_chroma_client

from test_index_and_search import ITEMS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def chroma_server(tmp_path):
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(exe).exists():
        pytest.skip("the `chroma` CLI is not installed")
    port = _free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if proc.poll() is not None:
            pytest.fail("`chroma run` exited early")
        time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(timeout=20)


def test_http_mode_gives_the_same_results_as_embedded(tmp_path, chroma_server):
    http_settings = Settings(data_dir=tmp_path, chroma_mode="http", chroma_host="127.0.0.1",
                             chroma_port=chroma_server, store="srv")
    remote = Store(http_settings.store_config(), embedder=HashEmbedder(), db=CatalogDB())
    local = Store(Settings(data_dir=tmp_path, chroma_mode="persistent", store="srv").store_config(),
                  embedder=HashEmbedder(),
                  db=CatalogDB())
    for store in (remote, local):
        store.db.replace_items(ITEMS)
        store.sync_index(progress=False)
    assert remote.client.get_settings().chroma_server_http_port == chroma_server  # really over HTTP
    assert remote.index.count() == 5
    for query in ("cast iron skillet", "hiking"):
        assert [h.item.id for h in remote.search(query)] == [h.item.id for h in local.search(query)]
    # a second run against the server re-embeds nothing
    assert remote.sync_index(progress=False).embedded == 0


def test_http_mode_without_a_server_says_how_to_start_one(tmp_path):
    settings = Settings(data_dir=tmp_path, chroma_mode="http", chroma_host="127.0.0.1", chroma_port=_free_port())
    with pytest.raises(RuntimeError, match="chroma run"):
        make_chroma_client(settings)
