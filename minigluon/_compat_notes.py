"""Where minigluon deliberately does not do what Apache MXNet 1.9.1 does.

This list is the single source for the documentation's "MXNet compatibility" page. Each
entry names the tests that demonstrate it, or carries a short ``>>>`` example, or both; the
documentation tests check that every named test exists and run every example, so an entry
cannot outlive the behaviour it describes.

The text fields are reStructuredText (``code`` in double backquotes).
"""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = ["Difference", "DIFFERENCES"]

Kind = Literal["fix", "limit"]


@attrs.frozen
class Difference:
    """One deliberate difference from MXNet 1.9.1.

    Attributes
    ----------
    topic : str
        A few words naming the behaviour.
    mxnet : str
        What MXNet 1.9.1 does (observed).
    minigluon : str
        What minigluon does instead.
    kind : {"fix", "limit"}
        ``"fix"``: MXNet misbehaves in a way that hurts learners, and minigluon fixes it
        without changing what the book's code prints. ``"limit"``: a part of MXNet that
        minigluon leaves out or cannot reproduce.
    tests : tuple of str
        Pytest node ids (``tests/test_x.py::test_name``) of tests that demonstrate it.
    example : str
        A doctest (``>>>`` lines with their output) showing minigluon's behaviour.
    """

    topic: str
    mxnet: str
    minigluon: str
    kind: Kind = "fix"
    tests: tuple[str, ...] = ()
    example: str = ""

    def __attrs_post_init__(self) -> None:
        if self.kind not in ("fix", "limit"):
            raise ValueError(f"{self.topic}: kind must be 'fix' or 'limit', not {self.kind!r}")
        if not self.tests and not self.example:
            raise ValueError(f"{self.topic}: name a test or give an example that shows it")
        for t in self.tests:
            if not t.startswith("tests/") or "::" not in t:
                raise ValueError(f"{self.topic}: {t!r} is not a node id like "
                                 "'tests/test_x.py::test_name'")


_AUTOGRAD = "tests/core/test_autograd.py::"
_IO = "tests/core/test_errors_and_io.py::"
_DTYPE = "tests/core/test_nd_dtype.py::"
_INDEXING = "tests/core/test_nd_indexing.py::"
_NAMESPACE = "tests/core/test_nd_namespace.py::"
_SHAPES = "tests/core/test_nd_shapes.py::"

DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        topic="An array changed in place before backward",
        mxnet="``backward`` uses the new values and returns a wrong gradient, silently.",
        minigluon="``backward`` raises ``MXNetError`` naming the operator whose saved array "
                  "changed (every array carries a version counter).",
        tests=(_AUTOGRAD + "test_changed_saved_array_is_detected_m3_m4_improved",
               _AUTOGRAD + "test_change_to_saved_output_is_detected"),
        example="""\
>>> x = nd.array([1, 2, 3]); x.attach_grad()
>>> with autograd.record():
...     y = (x * x).sum()
>>> x[:] = 10
>>> y.backward()
Traceback (most recent call last):
...
minigluon.base.MinigluonError: an array that the backward of operator 'broadcast_mul' ...
""",
    ),
    Difference(
        topic="The gradient of SELU",
        mxnet="``nn.SELU``'s gradient for negative inputs is λ·(y + α), which applies the "
              "scale λ twice.",
        minigluon="λ·α·exp(x), the derivative of λ·α·(exp(x) − 1).",
        tests=("tests/gluon/test_layers_extra.py::test_selu_gradient",),
    ),
    Difference(
        topic="A head gradient of the wrong shape",
        mxnet="``y.backward(out_grad)`` accepts any shape; the gradient then holds "
              "whatever was in memory.",
        minigluon="raises ``ValueError`` naming both shapes.",
        tests=(_AUTOGRAD + "test_head_grad_of_wrong_shape_is_refused_a7",),
    ),
    Difference(
        topic="Higher-order gradients",
        mxnet="``autograd.grad(..., create_graph=True)`` differentiates only a few unary "
              "functions again; through ``x * x``, ``x ** 2``, ``dot`` or ``sum`` it raises "
              "\"Operator _backward_... is non-differentiable\".",
        minigluon="works through every operator whose VJP is itself written with operators "
                  "(the *create_graph* column of the operator table), products, powers, "
                  "``dot`` and reductions included.",
        tests=(_AUTOGRAD + "test_second_order_g7_g8_improved",),
        example="""\
>>> x = nd.array([1, 2]); x.attach_grad()
>>> with autograd.record():
...     y = (x ** 3).sum()
...     dx = autograd.grad(y, [x], create_graph=True)[0]   # 3 x**2
...     z = dx.sum()
>>> z.backward()
>>> x.grad                                                  # 6 x
<BLANKLINE>
[ 6. 12.]
<NDArray 2 @cpu(0)>
""",
    ),
    Difference(
        topic="Arrays of different dtypes",
        mxnet="``int32`` array ``+`` ``float32`` array raises \"Incompatible attr in node\" "
              "(hence the book's ``y.astype('float32')`` before comparing).",
        minigluon="promotes as NumPy does; the book's explicit casts still work.",
        tests=(_DTYPE + "test_P1_int32_plus_float32_promotes_like_numpy_improve",),
    ),
    Difference(
        topic="NumPy arrays and lists as operands",
        mxnet="``nd.ones(2) + np.ones(2)`` and ``[1, 2] + nd.ones(2)`` raise ``TypeError``.",
        minigluon="accepted, as if converted with ``nd.array`` first.",
        tests=(_DTYPE + "test_P8_array_likes_accepted_improve",
               _DTYPE + "test_P8_array_like_operand_matches_ndarray_operand"),
    ),
    Difference(
        topic="Converting to NumPy and to Python numbers",
        mxnet="``np.asarray(x)`` gives an ``object`` array (or a 32-dimensional shape); "
              "``float(x)`` raises ``TypeError``.",
        minigluon="``np.asarray(x)`` is the array's values; ``float(x)`` and ``int(x)`` work "
                  "for one-element arrays.",
        tests=(_DTYPE + "test_P9_numpy_conversion_improve",
               _DTYPE + "test_P10_float_int_of_size1_improve"),
    ),
    Difference(
        topic="``asscalar()`` of a one-element array",
        mxnet="for a shape like ``(1, 1)`` it returns a NumPy *array*, not a scalar.",
        minigluon="returns a NumPy scalar for every one-element array.",
        tests=(_SHAPES + "test_S3_asscalar_any_size1_improve",),
    ),
    Difference(
        topic="Empty arrays",
        mxnet="``nd.zeros((0, 3))`` raises: its shapes read 0 as \"unknown\".",
        minigluon="makes an empty array.",
        tests=(_DTYPE + "test_N9_empty_arrays_improve",),
        example="""\
>>> nd.zeros((0, 3))
<BLANKLINE>
[]
<NDArray 0x3 @cpu(0)>
""",
    ),
    Difference(
        topic="Boolean NumPy masks",
        mxnet="``x[np.array([True, False, True, False])]`` reads the mask as the integer "
              "indices 1, 0, 1, 0.",
        minigluon="a boolean NumPy mask selects elements, as in NumPy. An NDArray of 0/1 "
                  "is still read as indices, as in MXNet.",
        tests=(_INDEXING + "test_I8_ndarray_mask_is_indices_numpy_bool_mask_selects",),
        example="""\
>>> nd.arange(4)[np.array([True, False, True, False])]
<BLANKLINE>
[0. 2.]
<NDArray 2 @cpu(0)>
""",
    ),
    Difference(
        topic="Dropout with ``p=1``",
        mxnet="all NaN (``0 * inf``).",
        minigluon="all zeros, like the book's own ``dropout`` from scratch.",
        example="""\
>>> nd.Dropout(nd.ones(3), p=1, mode='always')
<BLANKLINE>
[0. 0. 0.]
<NDArray 3 @cpu(0)>
""",
    ),
    Difference(
        topic="``'%f' % loss.asnumpy()`` on NumPy 2.4",
        mxnet="``asnumpy()`` returns a plain array; NumPy 2.4 refuses ``float()`` and "
              "``'%f' %`` of a shape-``(1,)`` array, which breaks the book's training "
              "printouts (MXNet itself needs NumPy < 1.24).",
        minigluon="``asnumpy()`` of a one-element array is still shape ``(1,)`` but converts "
                  "to a number, so ``'loss %f' % l.mean().asnumpy()`` keeps working.",
        tests=(_INDEXING + "test_J2_percent_format_of_shape1_asnumpy",),
        example="""\
>>> 'loss %f' % nd.ones(3).mean().asnumpy()
'loss 1.000000'
""",
    ),
    Difference(
        topic="Loading a missing file",
        mxnet="``MXNetError`` \"Check failed: allow_null ... No such file or directory\".",
        minigluon="``FileNotFoundError``.",
        tests=(_IO + "test_load_missing_and_corrupt_files",),
    ),
    Difference(
        topic="Saving a 0-d array",
        mxnet="``nd.save`` writes it, but ``nd.load`` of that file fails "
              "(\"basic_string::resize\").",
        minigluon="0-d arrays round-trip, and MXNet's file of one reads back as 0-d.",
        tests=(_IO + "test_save_load_roundtrip",
               "tests/core/test_fileformat.py::test_mxnet_zero_d_file_reads_as_zero_d"),
    ),
    Difference(
        topic="Random numbers",
        mxnet="``mx.random.seed(1); nd.random.uniform(shape=3)`` gives "
              "``[0.52383333 0.05501367 0.03996297]``.",
        minigluon="the same seed gives different numbers (NumPy's generator); seeding "
                  "still makes runs repeat, and still leaves NumPy's global generator "
                  "alone.",
        kind="limit",
        tests=(_NAMESPACE + "test_2_1_random_seed_seeds_nd_random_only",),
        example="""\
>>> mx.random.seed(1)
>>> nd.random.uniform(shape=3)
<BLANKLINE>
[0.5118216  0.9504637  0.14415962]
<NDArray 3 @cpu(0)>
""",
    ),
    Difference(
        topic="Writing RecordIO files",
        mxnet="``MXRecordIO(path, 'w')`` truncates ``path`` at once and writes into it, so an "
              "interrupted writer leaves a half-written ``.rec`` (and ``.idx``).",
        minigluon="the records go to a temporary file beside ``path``, renamed over it by "
                  "``close()`` (or when the writer is garbage collected): the file appears "
                  "complete or not at all. The bytes are MXNet's.",
        tests=("tests/gluon/test_recordio.py::test_writer_is_atomic",),
    ),
    Difference(
        topic="Damaged RecordIO files",
        mxnet="stops with ``Invalid RecordIO File`` without saying which file or where, and "
              "trusts a record's length field.",
        minigluon="raises ``recordio.RecordIOError`` (an ``MXNetError``) naming the file "
                  "and the byte offset of the bad chunk; a length past the end of the file "
                  "is refused before anything is read.",
        tests=("tests/gluon/test_recordio.py::test_truncated_file_names_file_and_offset",
               "tests/gluon/test_recordio.py::test_fuzz_reader"),
    ),
    Difference(
        topic="Unknown interpolation codes",
        mxnet="``image.imresize(x, w, h, interp=7)`` returns an array and fails later "
              "(when the value is read) inside OpenCV: ``Unknown interpolation method``.",
        minigluon="raises at the call, naming the argument and the valid codes.",
        tests=("tests/gluon/test_image.py::test_bad_input_is_named",),
    ),
    Difference(
        topic="A class folder without images",
        mxnet="``ImageFolderDataset`` silently keeps the folder as a class with no samples.",
        minigluon="the same labels and samples, plus a warning naming the folder.",
        tests=("tests/gluon/test_vision_datasets.py::test_image_folder_dataset",),
    ),
    Difference(
        topic="Hue and lighting on one-channel images",
        mxnet="``RandomHue``, ``RandomLighting`` (and the hue step of "
              "``RandomColorJitter``) return uninitialised memory for a (H, W, 1) image.",
        minigluon="return the image unchanged.",
        tests=("tests/gluon/test_vision_transforms.py::test_gray_images_keep_their_values",),
    ),
    Difference(
        topic="GPUs",
        mxnet="``ctx=mx.gpu()`` puts arrays on a GPU.",
        minigluon="No real GPU: an array on ``mx.gpu()`` raises ``MXNetError`` as MXNet "
                  "built without CUDA does, so the book's ``try_gpu()`` falls back to the "
                  "CPU. With ``MINIGLUON_GPUS=N`` (or ``mx.context.simulate_gpus(N)``), "
                  "``mx.gpu(0..N-1)`` are simulated devices: arrays in host memory, kept "
                  "apart as real devices (no operator mixes them, copies are explicit).",
        kind="limit",
        tests=(_IO + "test_gpu_context_is_refused_with_advice",
               "tests/gluon/test_devices.py::test_simulated_gpus_are_kept_apart"),
    ),
    Difference(
        topic="The symbolic API",
        mxnet="``mx.sym``, ``autograd.get_symbol`` and ``HybridBlock.export`` build and "
              "save symbolic graphs; ``hybridize()`` compiles blocks into one.",
        minigluon="``mx.sym``, ``hybridize()`` and ``export``/``SymbolBlock.imports`` "
                  "exist and read and write MXNet's files; a hybridized call is one node "
                  "on the tape, as in MXNet, and runs a plan fixed once per input shape. "
                  "There is no memory planning or operator fusion: the plan calls the "
                  "same NumPy operators as the imperative path, and "
                  "``static_alloc``/``static_shape`` change nothing. "
                  "``autograd.get_symbol`` raises ``NotAvailableError``.",
        kind="limit",
        tests=("tests/symbol/test_hybridize.py::test_hybridized_equals_imperative",
               "tests/symbol/test_hybridize.py::test_a_hybridized_call_is_one_node_on_the_tape",
               "tests/symbol/test_export.py::test_exported_graph_is_mxnets"),
        example="""\
>>> autograd.get_symbol(nd.ones(1))
Traceback (most recent call last):
...
minigluon.base.NotAvailableError: autograd.get_symbol is not available in minigluon...
""",
    ),
    Difference(
        topic="Sequence lengths outside the sequence",
        mxnet="``SequenceLast`` with a length of 0 or above T, and ``SequenceReverse`` with "
              "a length above T, read outside the array and return memory garbage.",
        minigluon="raise ``MXNetError`` naming the sequence and its length.",
        tests=("tests/ops/test_sequence_ops.py::"
               "test_lengths_outside_the_sequence_are_refused",),
    ),
    Difference(
        topic="The gradient of SequenceLast without lengths",
        mxnet="``SequenceLast(x)`` (no ``sequence_length``) gives a zero gradient, then the "
              "process aborts (\"double free or corruption\").",
        minigluon="the gradient lands on the last step.",
        tests=("tests/ops/test_sequence_ops.py::test_last_gradient_without_lengths",),
    ),
    Difference(
        topic="A malformed line in an embedding file",
        mxnet="a token without a vector or of another dimension is an ``AssertionError`` "
              "naming the line; a field that is not a number is a bare ``ValueError`` from "
              "``float()``.",
        minigluon="every such error names the file and the line (and the offending field).",
        tests=("tests/gluon/test_contrib_text.py::"
               "test_malformed_line_names_file_and_line",),
    ),
    Difference(
        topic="Pre-trained embedding files are never downloaded",
        mxnet="``contrib.text.embedding.create('glove', ...)`` downloads the archive when the "
              "file is missing or its SHA-1 differs from the published one.",
        minigluon="reads ``$MXNET_HOME/embeddings/<name>/<file>`` (or extracts it from the "
                  "archive put beside it); a missing file is an error naming where to put "
                  "it and where MXNet publishes it; a different SHA-1 is an error unless "
                  "``MINIGLUON_EMBEDDING_ANY_HASH=1``.",
        kind="limit",
        tests=("tests/gluon/test_contrib_text.py::test_missing_file_names_path_and_source",
               "tests/gluon/test_contrib_text.py::"
               "test_wrong_hash_is_refused_unless_allowed"),
    ),
    Difference(
        topic="begin_state of modifier cells",
        mxnet="``ZoneoutCell``/``ResidualCell.begin_state()`` makes Symbols unless "
              "``func=mx.nd.zeros`` is given.",
        minigluon="makes NDArrays (``nd.zeros``), like every other cell.",
        kind="limit",
        example="""\
>>> from minigluon.gluon import rnn
>>> rnn.ResidualCell(rnn.GRUCell(2)).begin_state(batch_size=1)[0].shape
(1, 2)
""",
    ),
    Difference(
        topic="A head built on a graph freed by the backward of another head",
        mxnet="``y1.backward()`` frees the part ``y2`` shares with ``y1``; ``y2.backward()`` "
              "then fails with an internal error (\"The any container is empty\") when "
              "``y2`` also uses a live variable.",
        minigluon="the freed part is a constant, as every array of a freed graph is: "
                  "``y2.backward()`` gives the live variables their gradients "
                  "(see :doc:`mxnet-semantics`).",
        tests=("tests/core/test_freeing.py::test_matches_mxnet",),
    ),
    Difference(
        topic="State clipping and sequence lengths of recurrent layers",
        mxnet="``nd.RNN`` and the ``gluon.rnn`` layers accept LSTM state clipping "
              "(``lstm_state_clip_*``, ``state_clip_*``) and ``use_sequence_length``, and on "
              "CPU compute exactly as if they were not given, silently (only the cuDNN GPU "
              "operator implements them).",
        minigluon="the same numbers, with a ``UserWarning`` saying that the option has no "
                  "effect.",
        tests=("tests/gluon/test_gluon_rnn.py::"
               "test_options_mxnet_cpu_ignores_are_ignored_with_a_warning",),
    ),
    Difference(
        topic="A hybridized recurrent layer called with and without states",
        mxnet="the layer keeps the output structure of its first call: after ``layer(x)``, "
              "``layer(x, states)`` returns the output alone (and after ``layer(x, "
              "states)``, ``layer(x)`` returns ``[output, states]``).",
        minigluon="each call returns what it asks for (the graph is traced again when the "
                  "structure changes); the exported graph is MXNet's.",
        tests=("tests/symbol/test_rnn_export.py::test_output_structure_follows_each_call",),
    ),
    Difference(
        topic="Pretrained model zoo weights",
        mxnet="``model_zoo.vision.get_model(name, pretrained=True)`` downloads the published "
              "``.params`` file into ``$MXNET_HOME/models`` when it is missing or damaged.",
        minigluon="never downloads: it reads the same file from the same place and checks "
                  "its SHA-1; a missing file is an error naming the file, the directory and "
                  "the address MXNet publishes it at, a damaged one an error giving both "
                  "hashes.",
        kind="limit",
        tests=("tests/gluon/test_model_zoo.py::test_missing_weights_name_the_file_and_the_address",
               "tests/gluon/test_model_zoo.py::test_wrong_hash_is_refused"),
    ),
    Difference(
        topic="The gradient of BatchNorm when recording and backward differ in train mode",
        mxnet="chooses the gradient formula by ``backward``'s ``train_mode`` (True by "
              "default), not by the mode the forward ran in: after "
              "``record(train_mode=False)`` the input's gradient belongs to neither "
              "forward, and ``backward(train_mode=False)`` after ``record()`` gives the "
              "running-statistics gradient of a batch-statistics forward.",
        minigluon="differentiates the forward that ran (running statistics in predict "
                  "mode, batch statistics in training mode), whatever ``backward``'s "
                  "``train_mode``.",
        tests=("tests/ops/test_fuzz_found.py::"
               "test_batchnorm_gradient_follows_the_forward_mode",),
    ),
    Difference(
        topic="The gradient of average pooling with ``pooling_convention='full'``",
        mxnet="in float32 (the pip wheel's oneDNN kernels) the backward divides a last, "
              "partial window's gradient by another count than the forward divided its "
              "sum by; the float64 kernels agree with the forward.",
        minigluon="the gradient of the forward, in every dtype.",
        tests=("tests/ops/test_fuzz_found.py::"
               "test_avg_pool_full_convention_gradient_matches_forward_float32",),
    ),
    Difference(
        topic="The gradient of max pooling recorded in predict mode",
        mxnet="in float32, after ``autograd.record(train_mode=False)``, the backward of "
              "max pooling (the pip wheel's oneDNN kernels, which keep no argmax in "
              "predict mode) sends the gradient to other elements than the maxima the "
              "forward picked; in training mode it is right.",
        minigluon="sends each window's gradient to its maximum, whatever the mode.",
        tests=("tests/ops/test_fuzz_found.py::"
               "test_max_pool_gradient_goes_to_the_maxima_in_predict_mode",),
    ),
    Difference(
        topic="Dilated, strided deconvolution in float64",
        mxnet="``nd.Deconvolution`` with ``dilate`` and ``stride`` both above 1 gives "
              "float64 values that differ from its own float32 results (which are the "
              "transposed convolution's).",
        minigluon="the transposed convolution in every dtype (the float32 values of "
                  "MXNet).",
        tests=("tests/ops/test_fuzz_found.py::"
               "test_dilated_strided_deconvolution_is_the_same_in_float64",),
    ),
    Difference(
        topic="Deconvolution with target_shape",
        mxnet="the pip wheel's oneDNN kernels fail on every ``nd.Deconvolution`` given a "
              "``target_shape`` (\"could not create a descriptor for a dilated "
              "deconvolution\"); MXNet's own CPU kernels (``MXNET_MKLDNN_ENABLED=0``) "
              "compute it.",
        minigluon="computes it, with the padding and adjustment MXNet derives from the "
                  "target shape (the values of MXNet's own CPU kernels).",
        tests=("tests/ops/test_vision_ops.py::test_deconvolution_target_shape",),
    ),
)
