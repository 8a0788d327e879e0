"""Regenerate tests/golden/text.npz (contrib.text: Vocabulary, count_tokens_from_str,
CustomEmbedding, GloVe, FastText) from real MXNet (the oracle).

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_text_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel), Python 3.11. :func:`run` takes the
``text`` module (``mxnet.contrib.text`` or ``minigluon.contrib.text``) and a scratch
folder, writes the small embedding files of :func:`write_files` there and returns a dict
of NumPy arrays (token lists as string arrays). GloVe and FastText read files named
``glove.tiny.5d.txt`` / ``wiki.tiny.vec`` whose SHA-1 is added to the embedding's table
for the run (MXNet then accepts them as published files).
"""

import collections
import hashlib
import os
import sys
import tempfile
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "text.npz")

SOURCE = (" Life is great ! \n life is good . \n\n the cat and the dog , the end . \n"
          "a b c a b a z z y y x \n")
COUNTER = collections.Counter({"c": 3, "b": 3, "a": 3, "d": 2, "e": 2, "f": 1, "<pad>": 3,
                               "<unk>": 5, "g": 1})
VOCABS = {
    "plain": {},
    "min2": {"min_freq": 2},
    "most3": {"most_freq_count": 3},
    "reserved": {"reserved_tokens": ["<pad>", "<bos>"]},
    "reserved_most2": {"reserved_tokens": ["<pad>"], "most_freq_count": 2},
    "unk": {"unknown_token": "<UNK>", "min_freq": 3},
}
CUSTOM = ("hello 0.1 0.2 0.3\n"
          "World 1 2 3\n"
          "<unk> -1 -1 -1\n"
          "hello 9 9 9\n"
          "dog 0.5 -0.5 2.5\n")
TAB = "a\t1.5\t2\nb\t-3\t4.25\n"
GLOVE = "".join(f"{w} " + " ".join(f"{np.sin(i * 5 + j) * 0.7:.4f}" for j in range(5)) + "\n"
                for i, w in enumerate(["the", "cat", "dog", "movie", "good", "bad"]))
FASTTEXT = "4 3\n" + "".join(f"{w} " + " ".join(f"{np.cos(i * 3 + j):.5f}" for j in range(3))
                             + "\n" for i, w in enumerate(["apple", "Banana", "cherry", "</s>"]))


def sha1(path):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


def write_files(folder):
    """The embedding files, and the hashes to register for the pre-trained ones."""
    paths = {"custom": os.path.join(folder, "custom.txt"),
             "tab": os.path.join(folder, "tab.txt")}
    for key, body in (("custom", CUSTOM), ("tab", TAB)):
        with open(paths[key], "w", encoding="utf8") as f:
            f.write(body)
    for name, fname, body in (("glove", "glove.tiny.5d.txt", GLOVE),
                              ("fasttext", "wiki.tiny.vec", FASTTEXT)):
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        paths[name] = os.path.join(folder, name, fname)
        with open(paths[name], "w", encoding="utf8") as f:
            f.write(body)
    return paths


def register_hashes(text, paths):
    """Add the tiny files to the tables of published files (restored by the caller)."""
    E = text.embedding
    E.GloVe.pretrained_file_name_sha1["glove.tiny.5d.txt"] = sha1(paths["glove"])
    E.GloVe.pretrained_archive_name_sha1["glove.tiny.zip"] = "0" * 40
    E.FastText.pretrained_file_name_sha1["wiki.tiny.vec"] = sha1(paths["fasttext"])
    E.FastText.pretrained_archive_name_sha1["wiki.tiny.zip"] = "0" * 40


def unregister_hashes(text):
    E = text.embedding
    for table, key in ((E.GloVe.pretrained_file_name_sha1, "glove.tiny.5d.txt"),
                       (E.GloVe.pretrained_archive_name_sha1, "glove.tiny.zip"),
                       (E.FastText.pretrained_file_name_sha1, "wiki.tiny.vec"),
                       (E.FastText.pretrained_archive_name_sha1, "wiki.tiny.zip")):
        table.pop(key, None)


def _emb(res, key, emb):
    res[key + "/idx_to_token"] = np.array(emb.idx_to_token)
    res[key + "/idx_to_vec"] = emb.idx_to_vec.asnumpy()
    res[key + "/vec_len"] = np.array(emb.vec_len)


def run(text, folder):
    res = {}
    res["count"] = np.array(sorted(text.utils.count_tokens_from_str(SOURCE).items()))
    res["count_lower"] = np.array(sorted(text.utils.count_tokens_from_str(
        SOURCE, to_lower=True).items()))
    c = collections.Counter({"extra": 2})
    text.utils.count_tokens_from_str("x,y;x", token_delim=",", seq_delim=";",
                                     counter_to_update=c)
    res["count_delims_update"] = np.array(sorted(c.items()))
    for key, kw in VOCABS.items():
        v = text.vocab.Vocabulary(COUNTER, **kw)
        res[f"vocab/{key}"] = np.array(v.idx_to_token)
        res[f"vocab/{key}/to_indices"] = np.array(v.to_indices(["a", "zzz", "<pad>", "c"]))
    paths = write_files(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        custom = text.embedding.CustomEmbedding(paths["custom"])
        _emb(res, "custom", custom)
        res["custom/lookup"] = custom.get_vecs_by_tokens(["world", "World", "x"]).asnumpy()
        res["custom/lookup_lower"] = custom.get_vecs_by_tokens(
            ["world", "HELLO", "x"], lower_case_backup=True).asnumpy()
        res["custom/single"] = custom.get_vecs_by_tokens("dog").asnumpy()
        custom.update_token_vectors(["dog", "<unk>"], text.embedding.nd.array(
            [[7, 8, 9], [0, 0, 1]]))
        custom.update_token_vectors("hello", text.embedding.nd.array([4, 5, 6]))
        res["custom/updated"] = custom.idx_to_vec.asnumpy()
        tab = text.embedding.CustomEmbedding(paths["tab"], elem_delim="\t",
                                             init_unknown_vec=text.embedding.nd.ones)
        _emb(res, "tab", tab)
        vocab = text.vocab.Vocabulary(collections.Counter(["dog", "cat", "dog", "hello", "q"]),
                                      reserved_tokens=["<pad>"])
        _emb(res, "custom_vocab", text.embedding.CustomEmbedding(paths["custom"],
                                                                  vocabulary=vocab))
        register_hashes(text, paths)
        try:
            glove = text.embedding.create("glove", pretrained_file_name="glove.tiny.5d.txt",
                                          embedding_root=folder)
            _emb(res, "glove", glove)
            glove_v = text.embedding.create("GloVe", pretrained_file_name="glove.tiny.5d.txt",
                                            embedding_root=folder, vocabulary=vocab)
            _emb(res, "glove_vocab", glove_v)
            ft = text.embedding.create("fasttext", pretrained_file_name="wiki.tiny.vec",
                                       embedding_root=folder)
            _emb(res, "fasttext", ft)
            res["fasttext/lookup_lower"] = ft.get_vecs_by_tokens(
                ["banana", "APPLE", "Banana"], lower_case_backup=True).asnumpy()
        finally:
            unregister_hashes(text)
    return res


def main():
    from mxnet.contrib import text

    with tempfile.TemporaryDirectory() as folder:
        arrays = run(text, folder)
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, OUT)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"wrote {OUT}: {len(arrays)} arrays", file=sys.stderr)


if __name__ == "__main__":
    main()
