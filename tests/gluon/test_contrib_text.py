"""contrib.text against MXNet 1.9.1 (tests/golden/make_text_golden.py), and the file
handling MXNet leaves to downloads: missing files, hashes, archives, malformed lines."""

import hashlib
import os
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minigluon import nd
from minigluon.base import MXNetError
from minigluon.contrib import text

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
sys.path.insert(0, GOLDEN_DIR)
import make_text_golden as golden  # noqa: E402

GOLD = np.load(os.path.join(GOLDEN_DIR, "text.npz"))


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return golden.run(text, str(tmp_path_factory.mktemp("text")))


@pytest.mark.parametrize("key", sorted(GOLD.files))
def test_matches_mxnet(ours, key):
    want = GOLD[key]
    assert key in ours
    if want.dtype.kind in "US":
        np.testing.assert_array_equal(ours[key], want)
    else:
        assert ours[key].dtype == want.dtype, key
        np.testing.assert_allclose(ours[key], want, rtol=1e-6)


def test_no_extra_results(ours):
    assert set(ours) == set(GOLD.files)


def test_missing_file_names_path_and_source(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    with pytest.raises(MXNetError) as e:
        text.embedding.create("glove", pretrained_file_name="glove.6B.50d.txt")
    msg = str(e.value)
    assert str(tmp_path / "embeddings" / "glove" / "glove.6B.50d.txt") in msg
    assert "glove.6B.zip" in msg and "gluon/embeddings/glove/glove.6B.zip" in msg
    assert "does not download" in msg


def test_unknown_embedding_name():
    with pytest.raises(AssertionError, match="nope is not registered"):
        text.embedding.create("nope")
    with pytest.raises(KeyError, match="Cannot find `embedding_name` nope"):
        text.embedding.get_pretrained_file_names("nope")


def test_unknown_file_name_lists_the_valid_ones():
    with pytest.raises(KeyError, match="glove.6B.100d.txt"):
        text.embedding.GloVe("glove.7B.1d.txt")


def test_wrong_hash_is_refused_unless_allowed(tmp_path, monkeypatch):
    d = tmp_path / "fasttext"
    d.mkdir()
    (d / "wiki.simple.vec").write_text("2 2\na 1 2\nb 3 4\n")
    with pytest.raises(MXNetError, match="SHA-1 .* not the published file"):
        text.embedding.FastText(embedding_root=str(tmp_path))
    monkeypatch.setenv(text.embedding.HASH_ENV, "1")
    with pytest.warns(UserWarning) as rec:
        emb = text.embedding.FastText(embedding_root=str(tmp_path))
    assert any("used anyway" in str(w.message) for w in rec)
    assert any("likely a header" in str(w.message) for w in rec)
    assert emb.idx_to_token == ["<unk>", "a", "b"]


def test_glove_archive_is_extracted_and_hash_checked(tmp_path, monkeypatch):
    body = "x 1 2\ny 3 4\n"
    d = tmp_path / "glove"
    d.mkdir()
    with zipfile.ZipFile(d / "glove.tiny.zip", "w") as z:
        z.writestr("glove.tiny.2d.txt", body)
    files = dict(text.embedding.GloVe.pretrained_file_name_sha1)
    archives = dict(text.embedding.GloVe.pretrained_archive_name_sha1)
    files["glove.tiny.2d.txt"] = hashlib.sha1(body.encode()).hexdigest()
    archives["glove.tiny.zip"] = hashlib.sha1((d / "glove.tiny.zip").read_bytes()).hexdigest()
    monkeypatch.setattr(text.embedding.GloVe, "pretrained_file_name_sha1", files)
    monkeypatch.setattr(text.embedding.GloVe, "pretrained_archive_name_sha1", archives)
    emb = text.embedding.GloVe("glove.tiny.2d.txt", embedding_root=str(tmp_path))
    assert (d / "glove.tiny.2d.txt").read_text() == body
    np.testing.assert_array_equal(emb.get_vecs_by_tokens("y").asnumpy(), [3, 4])


@pytest.mark.parametrize(("body", "line", "what"), [
    ("a 1 2\nb\n", 2, "unexpected"),
    ("a 1 2\nb 1 2 3\n", 2, "dimension of token b is 3"),
    ("a 1 2\nb 1 x\n", 2, "'x'"),
])
def test_malformed_line_names_file_and_line(tmp_path, body, line, what):
    p = tmp_path / "e.txt"
    p.write_text(body)
    with pytest.raises((AssertionError, ValueError)) as e:
        text.embedding.CustomEmbedding(str(p))
    assert f"line {line}" in str(e.value) and str(p) in str(e.value) and what in str(e.value)


def test_vocabulary_errors():
    with pytest.raises(AssertionError, match="min_freq"):
        text.vocab.Vocabulary(min_freq=0)
    with pytest.raises(AssertionError, match="unknown_token"):
        text.vocab.Vocabulary(reserved_tokens=["<unk>"])
    v = text.vocab.Vocabulary()
    with pytest.raises(ValueError, match="Token index 3"):
        v.to_tokens(3)
    assert v.to_tokens(0) == "<unk>" and len(v) == 1


def test_update_unknown_token_is_an_error(tmp_path):
    p = tmp_path / "e.txt"
    p.write_text("a 1 2\n")
    emb = text.embedding.CustomEmbedding(str(p))
    with pytest.raises(ValueError, match="Token b is unknown"):
        emb.update_token_vectors("b", nd.array([1, 2]))


tokens = st.text(alphabet="abcxyzé_<>", min_size=1, max_size=6)


@settings(max_examples=30, deadline=None)
@given(rows=st.dictionaries(tokens, st.lists(st.floats(-1e3, 1e3, width=32), min_size=3,
                                             max_size=3), min_size=1, max_size=8),
       delim=st.sampled_from([" ", "\t", ","]))
def test_custom_file_round_trip(tmp_path_factory, rows, delim):
    p = tmp_path_factory.mktemp("h") / "e.txt"
    with open(p, "w", encoding="utf8") as f:
        for tok, vec in rows.items():
            f.write(delim.join([tok, *map(repr, vec)]) + "\n")
    emb = text.embedding.CustomEmbedding(str(p), elem_delim=delim)
    unk = rows.get("<unk>")
    assert emb.idx_to_token == ["<unk>"] + [t for t in rows if t != "<unk>"]
    np.testing.assert_array_equal(emb.idx_to_vec.asnumpy()[0], unk or [0, 0, 0])
    for tok, vec in rows.items():
        np.testing.assert_array_equal(emb.get_vecs_by_tokens(tok).asnumpy(),
                                      np.float32(vec))
