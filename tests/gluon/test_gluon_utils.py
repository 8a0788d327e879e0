"""gluon.utils: split_and_load, split_data, clip_global_norm, check_sha1, download.

Golden MXNet values for the first three are checked in tests/test_data.py (program
``utils`` of tests/golden/make_data_golden.py). Downloads here use ``file://`` URLs;
any other URL fails the test.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from minigluon.gluon import utils as gutils


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    real = urllib.request.urlopen

    def local_only(url, *args, **kwargs):
        if not str(url).startswith("file:"):
            raise AssertionError(f"a test tried to open {url}")
        return real(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", local_only)


# ---- split_and_load / split_data --------------------------------------------------------------

def test_split_and_load_one_context_returns_the_array():
    x = nd.arange(12).reshape((6, 2))
    out = gutils.split_and_load(x, [mx.cpu()])
    assert type(out) is list and len(out) == 1 and out[0] is x


def test_split_and_load_bare_context():
    with pytest.raises(TypeError) as e:
        gutils.split_and_load(nd.ones((2, 2)), mx.cpu())
    assert str(e.value) == "object of type 'Context' has no len()"


def test_split_and_load_converts_and_splits():
    (a,) = gutils.split_and_load(np.arange(6.0), [mx.cpu()])
    assert isinstance(a, nd.NDArray) and a.dtype == np.float32
    parts = gutils.split_and_load(nd.arange(10).reshape((5, 2)), [mx.cpu(), mx.cpu()],
                                  even_split=False)
    assert [p.shape for p in parts] == [(3, 2), (2, 2)]
    with pytest.raises(ValueError) as e:
        gutils.split_and_load(nd.arange(5), [mx.cpu(), mx.cpu()])
    assert str(e.value) == (
        "data with shape (5,) cannot be evenly split into 2 slices along axis 0. Use a "
        "batch size that's multiple of 2 or set even_split=False to allow uneven "
        "partitioning of data.")


def test_split_data():
    x = nd.arange(14).reshape((7, 2))
    parts = gutils.split_data(x, 3, even_split=False)
    assert [p.asnumpy()[:, 0].tolist() for p in parts] == [[0, 2, 4], [6, 8], [10, 12]]
    cols = gutils.split_data(x.T, 3, batch_axis=1, even_split=False)
    assert [p.shape for p in cols] == [(2, 3), (2, 2), (2, 2)]
    assert np.array_equal(cols[1].asnumpy(), x.T.asnumpy()[:, 3:5])
    (whole,) = gutils.split_data(x, 1)
    assert whole.shape == (7, 2)
    assert [p.shape for p in gutils.split_data(nd.zeros((2, 2)), 3, even_split=False)] == [
        (1, 2), (1, 2), (0, 2)]


# ---- clip_global_norm ----------------------------------------------------------------------

def test_clip_global_norm_scales_in_place():
    a, b = nd.array([3.0, 4.0]), nd.array([[12.0]])
    total = gutils.clip_global_norm([a, b], 1.0)
    assert type(total) is np.float32 and total == 13.0
    scale = np.float32(1.0) / (np.float32(13.0) + np.float32(1e-8))
    assert np.array_equal(a.asnumpy(), np.array([3, 4], np.float32) * scale)
    assert np.array_equal(b.asnumpy(), np.array([[12]], np.float32) * scale)


def test_clip_global_norm_below_max_leaves_arrays():
    a = nd.array([3.0, 4.0])
    assert gutils.clip_global_norm([a], 10.0) == 5.0
    assert a.asnumpy().tolist() == [3.0, 4.0]
    total = gutils.clip_global_norm([a], 10.0, check_isfinite=False)
    assert isinstance(total, nd.NDArray) and total.shape == (1,) and total.asscalar() == 5.0


def test_clip_global_norm_warns_on_inf():
    a = nd.array([np.inf, 4.0])
    with pytest.warns(UserWarning, match="nan or inf is detected"):
        total = gutils.clip_global_norm([a], 1.0)
    assert np.isinf(total)
    with pytest.raises(AssertionError):
        gutils.clip_global_norm([], 1.0)


# ---- check_sha1 / download --------------------------------------------------------------------

def _source(tmp_path, content=b"minigluon test payload\n" * 100):
    src = tmp_path / "src" / "payload.bin"
    src.parent.mkdir(exist_ok=True)
    src.write_bytes(content)
    return src, src.as_uri(), hashlib.sha1(content).hexdigest()


def _leftovers(directory):
    return [n for n in os.listdir(directory) if n.endswith(".part")]


def test_check_sha1(tmp_path):
    src, _, sha = _source(tmp_path)
    assert gutils.check_sha1(src, sha) is True
    assert gutils.check_sha1(str(src), "0" * 40) is False


def test_download_to_directory_and_file(tmp_path, capsys):
    src, url, sha = _source(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    fname = gutils.download(url, path=str(out_dir), sha1_hash=sha)
    assert fname == str(out_dir / "payload.bin")
    assert (out_dir / "payload.bin").read_bytes() == src.read_bytes()
    printed = capsys.readouterr().out
    assert f"Downloading {fname} from {url}..." in printed
    assert "(100%)" in printed
    target = tmp_path / "new" / "deep" / "renamed.bin"  # missing directories are made
    assert gutils.download(url, path=str(target)) == str(target)
    assert target.read_bytes() == src.read_bytes() and _leftovers(target.parent) == []


def test_download_to_current_directory(tmp_path, monkeypatch):
    _, url, _ = _source(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert gutils.download(url) == "payload.bin"
    assert (tmp_path / "payload.bin").exists()
    with pytest.raises(AssertionError, match="Can't construct file-name"):
        gutils.download("file:///tmp/dir/")


def test_download_skips_a_good_file_and_replaces_a_bad_one(tmp_path, monkeypatch, capsys):
    src, url, sha = _source(tmp_path)
    dest = tmp_path / "dest.bin"
    dest.write_bytes(src.read_bytes())
    assert gutils.download(url, path=str(dest), sha1_hash=sha) == str(dest)
    assert "Downloading" not in capsys.readouterr().out
    dest.write_bytes(b"stale")
    assert gutils.download(url, path=str(dest)) == str(dest)  # no hash: kept as is
    assert dest.read_bytes() == b"stale"
    gutils.download(url, path=str(dest), sha1_hash=sha)  # wrong hash: fetched again
    assert dest.read_bytes() == src.read_bytes()
    dest.write_bytes(b"stale")
    gutils.download(url, path=str(dest), overwrite=True)
    assert dest.read_bytes() == src.read_bytes()


def test_download_with_wrong_hash_never_installs_the_file(tmp_path, capsys):
    _, url, _ = _source(tmp_path)
    dest = tmp_path / "dest.bin"
    dest.write_bytes(b"old")
    with pytest.raises(OSError) as e:
        gutils.download(url, path=str(dest), sha1_hash="0" * 40, retries=2)
    assert "after 2 attempts" in str(e.value) and "hash does not match" in str(e.value)
    assert dest.read_bytes() == b"old" and _leftovers(tmp_path) == []
    assert capsys.readouterr().out.count("Downloading") == 2


def test_download_offline_error(tmp_path, capsys):
    missing = (tmp_path / "nowhere" / "file.gz").as_uri()
    dest = tmp_path / "file.gz"
    with pytest.raises(OSError) as e:
        gutils.download(missing, path=str(dest))
    msg = str(e.value)
    assert msg.startswith(f"Failed downloading url {missing} to {dest} after 5 attempts: ")
    assert f"put the file at {dest} yourself" in msg
    assert isinstance(e.value.__cause__, urllib.error.URLError)
    out = capsys.readouterr().out
    assert out.count("Downloading") == 5 and "retrying, 1 attempt left" in out
    assert not dest.exists()
    with pytest.raises(OSError, match="after 1 attempt:"):
        gutils.download(missing, path=str(dest), retries=0)
    with pytest.raises(AssertionError, match="Number of retries should be at least 0"):
        gutils.download(missing, path=str(dest), retries=-1)


def test_download_unverified_ssl_warns(tmp_path):
    _, url, _ = _source(tmp_path)
    with pytest.warns(UserWarning, match="Unverified HTTPS request"):
        gutils.download(url, path=str(tmp_path / "x.bin"), verify_ssl=False)
    assert (tmp_path / "x.bin").exists()
