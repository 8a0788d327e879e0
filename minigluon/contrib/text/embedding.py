"""``contrib.text.embedding``: pre-trained token embeddings (GloVe, fastText) and your own
(``CustomEmbedding``), as MXNet 1.9.1 reads them.

A pre-trained file is looked for where MXNet keeps it:
``<embedding_root>/<name>/<file>``, with ``embedding_root`` defaulting to
``$MXNET_HOME/embeddings`` (``~/.mxnet/embeddings``). A GloVe ``.txt`` may also be given as
the archive MXNet downloads (``glove.6B.zip`` beside it), which is then extracted. The
file's SHA-1 is checked against MXNet's table of published files. minigluon never
downloads: a missing file is an error saying where to put it and where it is published.

File format (GloVe, fastText ``.vec`` and custom files): one token per line, then its
vector's elements, separated by ``elem_delim``. A line with a single number after the token
(fastText's header ``count dim``) is skipped with a warning, as is a repeated token; the
first vector of ``unknown_token`` met becomes index 0's vector, otherwise
``init_unknown_vec(shape=vec_len)`` makes it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np

from ... import ndarray as nd
from ...base import MXNetError
from . import _hashes
from .vocab import UNKNOWN_IDX, Vocabulary

__all__ = ["register", "create", "get_pretrained_file_names", "TokenEmbedding", "GloVe",
           "FastText", "CustomEmbedding", "CompositeEmbedding"]

_REGISTRY: dict[str, type[TokenEmbedding]] = {}
_REPO_URL = "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/"
#: set to 1 to accept a pre-trained file whose SHA-1 is not the published one (with a
#: warning): a stand-in file of the right format, e.g. for tests
HASH_ENV = "MINIGLUON_EMBEDDING_ANY_HASH"


class EmbeddingFormatError(MXNetError, AssertionError):
    """A pre-trained embedding file of an unexpected layout: an AssertionError, as MXNet
    raises there, and an MXNetError naming the file and line."""


class EmbeddingValueError(MXNetError, ValueError):
    """A pre-trained embedding file with a value that is not a number, or bytes that are not
    text in its encoding: a ValueError as in MXNet, and an MXNetError naming file and line."""


def register(embedding_cls: type[TokenEmbedding]) -> type[TokenEmbedding]:
    """Class decorator: make ``create(name)`` know the class (by its lower-case name)."""
    if not (isinstance(embedding_cls, type) and issubclass(embedding_cls, TokenEmbedding)):
        raise AssertionError("Can only register subclass of TokenEmbedding")
    _REGISTRY[embedding_cls.__name__.lower()] = embedding_cls
    return embedding_cls


def create(embedding_name: str, **kwargs: Any) -> TokenEmbedding:
    """An instance of the registered embedding ``embedding_name`` (case-insensitive),
    e.g. ``create('glove', pretrained_file_name='glove.6B.50d.txt', vocabulary=v)``."""
    name = embedding_name.lower()
    if name not in _REGISTRY:
        # MXNet's registry raises AssertionError here
        raise AssertionError(f"{embedding_name} is not registered. Please register with token "
                             f"embedding.register first (registered: {', '.join(_REGISTRY)})")
    return _REGISTRY[name](**kwargs)


def get_pretrained_file_names(embedding_name: str | None = None) -> Any:
    """The pre-trained file names of one embedding (a list), or of all (a dict)."""
    if embedding_name is not None:
        if embedding_name not in _REGISTRY:
            raise KeyError(f"Cannot find `embedding_name` {embedding_name}. Use "
                           "`get_pretrained_file_names(embedding_name=None).keys()` to get "
                           "all the valid embedding names.")
        return list(_REGISTRY[embedding_name].pretrained_file_name_sha1)
    return {name: list(cls.pretrained_file_name_sha1) for name, cls in _REGISTRY.items()}


def _default_root() -> str:
    home = os.environ.get("MXNET_HOME") or os.path.join(os.path.expanduser("~"), ".mxnet")
    return os.path.join(home, "embeddings")


def _sha1(path: str) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_hash(path: str, want: str) -> None:
    got = _sha1(path)
    if got == want:
        return
    msg = (f"{path} has SHA-1 {got}, but the published file has {want}: it is not the "
           "published file (truncated or replaced?)")
    if os.environ.get(HASH_ENV) == "1":
        warnings.warn(msg + f"; used anyway because {HASH_ENV}=1", stacklevel=4)
        return
    raise MXNetError(msg + f". Put the published file there, or set {HASH_ENV}=1 to use "
                     "this one anyway.")


class TokenEmbedding(Vocabulary):
    """Base class of token embeddings: a :class:`Vocabulary` with a vector per token
    (``idx_to_vec``, (len, vec_len) float32). MXNet calls it ``_TokenEmbedding``.

    Subclasses with pre-trained files set ``pretrained_file_name_sha1`` (file -> SHA-1)
    and, if the files come in archives, ``pretrained_archive_name_sha1``.
    """

    pretrained_file_name_sha1: dict[str, str] = {}
    pretrained_archive_name_sha1: dict[str, str] | None = None
    #: where the files are published, for the message when one is missing
    source_url: str = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._vec_len: int | None = None
        self._idx_to_vec: Any = None

    # -- locating a pre-trained file -----------------------------------------------------
    @classmethod
    def _get_download_file_name(cls, pretrained_file_name: str) -> str:
        return pretrained_file_name

    @classmethod
    def _get_pretrained_file_url(cls, pretrained_file_name: str) -> str:
        repo = os.environ.get("MXNET_GLUON_REPO", _REPO_URL)
        return (f"{repo}gluon/embeddings/{cls.__name__.lower()}/"
                f"{cls._get_download_file_name(pretrained_file_name)}")

    @classmethod
    def _check_pretrained_file_names(cls, pretrained_file_name: str) -> None:
        name = cls.__name__.lower()
        if pretrained_file_name not in cls.pretrained_file_name_sha1:
            raise KeyError(f"Cannot find pretrained file {pretrained_file_name} for token "
                           f"embedding {name}. Valid pretrained files for embedding {name}: "
                           f"{', '.join(cls.pretrained_file_name_sha1)}")

    @classmethod
    def _get_pretrained_file(cls, embedding_root: str | None, pretrained_file_name: str
                             ) -> str:
        """The path of the checked pre-trained file (extracted from its archive if only
        that is there)."""
        cls._check_pretrained_file_names(pretrained_file_name)
        folder = os.path.join(os.path.expanduser(embedding_root or _default_root()),
                              cls.__name__.lower())
        path = os.path.join(folder, pretrained_file_name)
        archive = cls._get_download_file_name(pretrained_file_name)
        archive_path = os.path.join(folder, archive)
        if not os.path.isfile(path) and archive != pretrained_file_name and \
                os.path.isfile(archive_path):
            if cls.pretrained_archive_name_sha1 and archive in cls.pretrained_archive_name_sha1:
                _check_hash(archive_path, cls.pretrained_archive_name_sha1[archive])
            _extract(archive_path, pretrained_file_name, path)
        if not os.path.isfile(path):
            where = f" (or its archive {archive} in that folder, which is then extracted)" \
                if archive != pretrained_file_name else ""
            raise MXNetError(
                f"The pre-trained {cls.__name__} file {pretrained_file_name} is not there: "
                f"expected at {path}{where}. minigluon does not download; MXNet publishes it "
                f"at {cls._get_pretrained_file_url(pretrained_file_name)}"
                + (f" (source: {cls.source_url})" if cls.source_url else "")
                + ". Set embedding_root= or MXNET_HOME to read it from elsewhere.")
        _check_hash(path, cls.pretrained_file_name_sha1[pretrained_file_name])
        return path

    # -- reading -------------------------------------------------------------------------
    def _load_embedding(self, path: str, elem_delim: str,
                        init_unknown_vec: Callable[..., Any], encoding: str = "utf8") -> None:
        path = os.path.expanduser(path)
        if not os.path.isfile(path):
            raise ValueError(f"`pretrained_file_path` must be a valid path to the "
                             f"pre-trained token embedding file: {path} is not a file")
        vec_len: int | None = None
        rows: list[list[float]] = []
        seen: set[str] = set()
        unknown_vec: list[float] | None = None
        # undecodable bytes become lone surrogates, found line by line, so that the error
        # names the line (a strict decoder fails on a whole chunk of the file)
        with open(path, encoding=encoding, errors="surrogateescape") as f:
            for line_num, line in enumerate(f, 1):
                try:
                    line.encode("utf-8")
                except UnicodeEncodeError as e:
                    raise EmbeddingValueError(
                        f"At line {line_num} of the pre-trained token embedding file {path}: "
                        f"character {e.start + 1} of the line is not {encoding} text"
                    ) from None
                elems = line.rstrip().split(elem_delim)
                if len(elems) <= 1:
                    raise EmbeddingFormatError(
                        f"At line {line_num} of the pre-trained text embedding file: the data "
                        f"format of the pre-trained token embedding file {path} is unexpected "
                        f"(a token and its vector's elements separated by {elem_delim!r})")
                token = elems[0]
                try:
                    vec = [float(e) for e in elems[1:]]
                except ValueError:
                    bad = next(e for e in elems[1:] if not _is_float(e))
                    raise EmbeddingValueError(
                        f"At line {line_num} of the pre-trained token embedding file {path}: "
                        f"{bad!r} (in the vector of token {token!r}) is not a number"
                    ) from None
                if token == self._unknown_token and unknown_vec is None:
                    unknown_vec = vec
                    seen.add(token)
                elif token in seen:
                    warnings.warn(f"At line {line_num} of the pre-trained token embedding "
                                  f"file: the embedding vector for token {token} has been "
                                  "loaded and a duplicate embedding for the  same token is "
                                  "seen and skipped.", stacklevel=3)
                elif len(vec) == 1:
                    warnings.warn(f"At line {line_num} of the pre-trained text embedding "
                                  f"file: token {token} with 1-dimensional vector {vec} is "
                                  "likely a header and is skipped.", stacklevel=3)
                else:
                    if vec_len is None:
                        vec_len = len(vec)
                    elif len(vec) != vec_len:
                        raise EmbeddingFormatError(
                            f"At line {line_num} of the pre-trained token embedding file "
                            f"{path}: the dimension of token {token} is {len(vec)} but the "
                            f"dimension of previous tokens is {vec_len}. Dimensions of all "
                            "the tokens must be the same.")
                    rows.append(vec)
                    self._idx_to_token.append(token)
                    self._token_to_idx[token] = len(self._idx_to_token) - 1
                    seen.add(token)
        if vec_len is None:
            raise MXNetError(f"The pre-trained token embedding file {path} holds no vector")
        self._vec_len = vec_len
        table = np.zeros((1 + len(rows), vec_len), dtype=np.float32)
        if rows:
            table[1:] = np.asarray(rows, dtype=np.float32)
        if unknown_vec is not None:
            table[UNKNOWN_IDX] = unknown_vec
        else:
            init = init_unknown_vec(shape=vec_len)
            table[UNKNOWN_IDX] = init.asnumpy() if hasattr(init, "asnumpy") else init
        self._idx_to_vec = nd.array(table)

    def _index_tokens_from_vocabulary(self, vocabulary: Vocabulary) -> None:
        self._token_to_idx = vocabulary.token_to_idx.copy()
        self._idx_to_token = vocabulary.idx_to_token[:]
        self._unknown_token = vocabulary.unknown_token
        self._reserved_tokens = None if vocabulary.reserved_tokens is None else \
            vocabulary.reserved_tokens[:]

    def _set_idx_to_vec_by_embeddings(self, embeddings: list[TokenEmbedding], vocab_len: int,
                                      vocab_idx_to_token: list[str]) -> None:
        width = sum(e.vec_len for e in embeddings)  # type: ignore[misc]
        table = np.zeros((vocab_len, width), dtype=np.float32)
        col = 0
        for e in embeddings:
            end = col + e.vec_len  # type: ignore[operator]
            table[0, col:end] = e.idx_to_vec[0].asnumpy()
            if vocab_len > 1:
                table[1:, col:end] = e.get_vecs_by_tokens(vocab_idx_to_token[1:]).asnumpy()
            col = end
        self._vec_len = width
        self._idx_to_vec = nd.array(table)

    def _build_embedding_for_vocabulary(self, vocabulary: Vocabulary | None) -> None:
        if vocabulary is None:
            return
        if not isinstance(vocabulary, Vocabulary):
            raise AssertionError("The argument `vocabulary` must be an instance of "
                                 "mxnet.contrib.text.vocab.Vocabulary.")
        self._set_idx_to_vec_by_embeddings([self], len(vocabulary), vocabulary.idx_to_token)
        self._index_tokens_from_vocabulary(vocabulary)

    # -- the public interface ------------------------------------------------------------
    @property
    def vec_len(self) -> int | None:
        """Length of each vector."""
        return self._vec_len

    @property
    def idx_to_vec(self) -> Any:
        """The (len, vec_len) NDArray of vectors, by token index."""
        return self._idx_to_vec

    def get_vecs_by_tokens(self, tokens: str | list[str], lower_case_backup: bool = False
                           ) -> Any:
        """The vector of a token (1-D), or the vectors of a list of tokens (2-D); unknown
        tokens get index 0's vector. With ``lower_case_backup``, a token not found is
        looked up again in lower case."""
        single = not isinstance(tokens, list)
        toks = [tokens] if single else tokens
        t2i = self._token_to_idx
        if lower_case_backup:
            idx = [t2i[t] if t in t2i else t2i.get(t.lower(), UNKNOWN_IDX) for t in toks]
        else:
            idx = [t2i.get(t, UNKNOWN_IDX) for t in toks]
        vecs = nd.array(self._idx_to_vec.asnumpy()[np.asarray(idx, dtype=np.int64)])
        return vecs[0] if single else vecs

    def update_token_vectors(self, tokens: str | list[str], new_vectors: Any) -> None:
        """Replace the vectors of known tokens (an unknown token is an error: name the
        unknown token itself to change index 0's vector)."""
        if self._idx_to_vec is None:
            raise AssertionError("The property `idx_to_vec` has not been properly set.")
        if not isinstance(tokens, list) or len(tokens) == 1:
            if not (isinstance(new_vectors, nd.NDArray) and new_vectors.ndim in (1, 2)):
                raise AssertionError("`new_vectors` must be a 1-D or 2-D NDArray if `tokens` "
                                     "is a singleton.")
            tokens = [tokens] if not isinstance(tokens, list) else tokens
            if new_vectors.ndim == 1:
                new_vectors = new_vectors.expand_dims(axis=0)
        elif not (isinstance(new_vectors, nd.NDArray) and new_vectors.ndim == 2):
            raise AssertionError("`new_vectors` must be a 2-D NDArray if `tokens` is a list of "
                                 "multiple strings.")
        if new_vectors.shape != (len(tokens), self.vec_len):
            raise AssertionError(
                "The length of new_vectors must be equal to the number of tokens and the width "
                "of new_vectors must be equal to the dimension of embeddings of the glossary "
                f"(expected {(len(tokens), self.vec_len)}, got {new_vectors.shape}).")
        idx = []
        for t in tokens:
            if t not in self._token_to_idx:
                raise ValueError(f"Token {t} is unknown. To update the embedding vector for an "
                                 "unknown token, please specify it explicitly as the "
                                 f"`unknown_token` {self._idx_to_token[UNKNOWN_IDX]} in "
                                 "`tokens`. This is to avoid unintended updates.")
            idx.append(self._token_to_idx[t])
        table = self._idx_to_vec.asnumpy().copy()
        table[idx] = new_vectors.asnumpy()
        self._idx_to_vec[:] = nd.array(table, dtype=table.dtype)


def _is_float(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _extract(archive_path: str, member: str, dest: str) -> None:
    """Extract ``member`` (at any depth of the zip) to ``dest``, atomically."""
    try:
        zf = zipfile.ZipFile(archive_path)
    except zipfile.BadZipFile:
        raise MXNetError(f"{archive_path} is not a zip archive") from None
    with zf:
        names = [n for n in zf.namelist() if os.path.basename(n) == member]
        if not names:
            raise MXNetError(f"The archive {archive_path} has no file {member} (it holds "
                             f"{', '.join(zf.namelist()[:10])})")
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, zf.open(names[0]) as src:
                shutil.copyfileobj(src, out)
            os.replace(tmp, dest)
        except BaseException:
            os.unlink(tmp)
            raise


@register
class GloVe(TokenEmbedding):
    """The GloVe word vectors (Pennington, Socher and Manning, 2014), read from
    ``<embedding_root>/glove/<pretrained_file_name>`` (or its zip archive there).

    Parameters
    ----------
    pretrained_file_name : str, default 'glove.840B.300d.txt'
        One of ``get_pretrained_file_names('glove')``.
    embedding_root : str, default ``$MXNET_HOME/embeddings``
    init_unknown_vec : callable, default nd.zeros
        Makes the unknown token's vector if the file has none.
    vocabulary : Vocabulary, optional
        Keep (and index as) only this vocabulary's tokens.
    """

    pretrained_file_name_sha1 = _hashes.GLOVE_FILE
    pretrained_archive_name_sha1 = _hashes.GLOVE_ARCHIVE
    source_url = "https://nlp.stanford.edu/projects/glove/"

    @classmethod
    def _get_download_file_name(cls, pretrained_file_name: str) -> str:
        # glove.6B.50d.txt comes in glove.6B.zip: the archive shares the second field
        by_field = {a.split(".")[1]: a for a in cls.pretrained_archive_name_sha1 or {}}
        return by_field.get(pretrained_file_name.split(".")[1], pretrained_file_name)

    def __init__(self, pretrained_file_name: str = "glove.840B.300d.txt",
                 embedding_root: str | None = None,
                 init_unknown_vec: Callable[..., Any] = nd.zeros,
                 vocabulary: Vocabulary | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        path = type(self)._get_pretrained_file(embedding_root, pretrained_file_name)
        self._load_embedding(path, " ", init_unknown_vec)
        self._build_embedding_for_vocabulary(vocabulary)


@register
class FastText(TokenEmbedding):
    """The fastText word vectors (Bojanowski et al., 2017), read from
    ``<embedding_root>/fasttext/<pretrained_file_name>`` (a ``.vec`` text file; the first
    line ``count dim`` is skipped).

    Parameters
    ----------
    pretrained_file_name : str, default 'wiki.simple.vec'
    embedding_root, init_unknown_vec, vocabulary : as for :class:`GloVe`
    """

    pretrained_file_name_sha1 = _hashes.FASTTEXT_FILE
    pretrained_archive_name_sha1 = _hashes.FASTTEXT_ARCHIVE
    source_url = "https://fasttext.cc/"

    @classmethod
    def _get_download_file_name(cls, pretrained_file_name: str) -> str:
        return ".".join(pretrained_file_name.split(".")[:-1]) + ".zip"

    def __init__(self, pretrained_file_name: str = "wiki.simple.vec",
                 embedding_root: str | None = None,
                 init_unknown_vec: Callable[..., Any] = nd.zeros,
                 vocabulary: Vocabulary | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        path = type(self)._get_pretrained_file(embedding_root, pretrained_file_name)
        self._load_embedding(path, " ", init_unknown_vec)
        self._build_embedding_for_vocabulary(vocabulary)


class CustomEmbedding(TokenEmbedding):
    """Token vectors from your own file (no hash check).

    Parameters
    ----------
    pretrained_file_path : str
    elem_delim : str, default ' '
    encoding : str, default 'utf8'
    init_unknown_vec, vocabulary : as for :class:`GloVe`

    Examples
    --------
    >>> import os, tempfile
    >>> from minigluon.contrib import text
    >>> path = os.path.join(tempfile.mkdtemp(), 'my.txt')
    >>> with open(path, 'w') as f:
    ...     _ = f.write('hello 0.1 0.2\\nworld 0.3 0.4\\n')
    >>> emb = text.embedding.CustomEmbedding(path)
    >>> emb.idx_to_token, emb.vec_len
    (['<unk>', 'hello', 'world'], 2)
    >>> emb.get_vecs_by_tokens(['world', 'xyz']).asnumpy().tolist()
    [[0.30000001192092896, 0.4000000059604645], [0.0, 0.0]]
    """

    def __init__(self, pretrained_file_path: str, elem_delim: str = " ",
                 encoding: str = "utf8", init_unknown_vec: Callable[..., Any] = nd.zeros,
                 vocabulary: Vocabulary | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._load_embedding(pretrained_file_path, elem_delim, init_unknown_vec, encoding)
        self._build_embedding_for_vocabulary(vocabulary)


class CompositeEmbedding(TokenEmbedding):
    """The vocabulary's tokens with the vectors of several embeddings concatenated."""

    def __init__(self, vocabulary: Vocabulary, token_embeddings: Any) -> None:
        if not isinstance(vocabulary, Vocabulary):
            raise AssertionError("The argument `vocabulary` must be an instance of "
                                 "mxnet.contrib.text.indexer.Vocabulary.")
        embs = token_embeddings if isinstance(token_embeddings, list) else [token_embeddings]
        if not all(isinstance(e, TokenEmbedding) for e in embs):
            raise AssertionError("The argument `token_embeddings` must be an instance or a "
                                 "list of instances of TokenEmbedding.")
        self._vec_len = None
        self._idx_to_vec = None
        self._index_tokens_from_vocabulary(vocabulary)
        self._set_idx_to_vec_by_embeddings(embs, len(self), self.idx_to_token)


_TokenEmbedding = TokenEmbedding  # MXNet's name
