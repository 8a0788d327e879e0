r"""
17. A tape and a symbol: what hybridize changes
===============================================

Section 8.1 of the book ("hybrid programming", 命令式和符号式混合编程) contrasts two ways
of running a network:

* **imperative**: Python runs the layers one operator at a time. When autograd records,
  each operator leaves a node on the *tape* while it runs, so the graph of the
  computation exists only *after* the data went through.
* **symbolic**: the graph is built first, from placeholders that hold no data (a
  ``Symbol``), and then run as a whole, as many times as you like.

Gluon's ``HybridBlock`` is written once and can do both: ``hybridize()`` makes it trace
its ``hybrid_forward`` into a symbol on the first call and run that graph afterwards.
Here we draw both graphs of the book's MLP, check that they compute the same thing, time
them, and save the symbol to a file, as the section does.
"""

import json
import os
import shutil
import statistics
import tempfile
import time

import numpy as np

import minigluon as mx
from minigluon import autograd, nd, sym
from minigluon.gluon import SymbolBlock, nn

mx.random.seed(0)


def get_net():
    """The section's MLP: 512 inputs, two hidden layers, two outputs."""
    net = nn.HybridSequential()
    net.add(nn.Dense(256, activation="relu"),
            nn.Dense(128, activation="relu"),
            nn.Dense(2))
    net.initialize()
    return net


x = nd.random.normal(shape=(1, 512))
net = get_net()

# %%
# (a) The tape: what was recorded while running
# ---------------------------------------------
# Run the network imperatively inside ``autograd.record()`` and draw what the tape kept.
# Gluon's parameters can be passed as names (``collect_params()``), so the boxes show
# ``dense0_weight`` rather than ``var0``. Each ``Dense`` layer left two circles, a
# ``FullyConnected`` and a ``relu``: those are the operators that actually ran, in the
# order Python called them.

with autograd.record():
    y = net(x)
names = dict(net.collect_params().items())
names.update(x=x, y=y)
mx.viz.graph(y, names)

# %%
# (b) The symbol: the graph made before any data
# ----------------------------------------------
# Now call the very same network on a *symbolic variable* instead of an array. Nothing
# is computed: every layer adds nodes to a graph, and the result is a ``Symbol``, as the
# book shows:

data = sym.var("data")
s = net(data)
print(type(s).__name__, s)
print(s.list_arguments())

# %%
# ``list_arguments`` names every input the graph needs before it can run: the data and
# the six parameters. ``mx.viz.graph`` draws a symbol in the same picture language as a
# tape: boxes for variables (parameters filled), circles for operators, labelled with
# the operator that will run (the symbol's ``Activation(act_type='relu')`` node runs the
# same ``relu`` as the tape above). A symbol has no shapes, but given the input's shape
# every other shape can be inferred (``shape=``, as in MXNet's ``plot_network``).
# The result boxes are named after the graph's nodes (``dense0_fwd``...), names that the
# exported file below will use too.

# sphinx_gallery_thumbnail_number = 2
mx.viz.graph(s, shape={"data": (1, 512)})

# %%
# The two pictures have the same circles in the same order. The difference is *when*
# they exist: the tape is written while the operators run, once per call, and is
# different if the Python code takes a different path; the symbol exists before any
# data and is the same for every call.
#
# (c) Hybridize: one node per call
# --------------------------------
# First keep the imperative output and gradients, then hybridize and do the same again.

y_imp = net(x)
with autograd.record():
    y = net(x)
y.backward()
grads_imp = {k: p.grad().copy() for k, p in net.collect_params().items()}

net.hybridize()
with autograd.record():
    y_hyb = net(x)
y_hyb.backward()

print("max |output difference|  :", float(nd.abs(y_hyb - y_imp).max().asscalar()))
print("max |gradient difference|:",
      max(float(nd.abs(p.grad() - grads_imp[k]).max().asscalar())
          for k, p in net.collect_params().items()))

# %%
# Both differences are 0: the hybridized graph runs the same operators on the same
# numbers. What changed is the tape: the whole network is now *one* node, MXNet's
# ``CachedOp``, whose backward is the graph's backward. The input ``x`` has no box:
# this node keeps only the inputs a gradient must go back to, the parameters.

with autograd.record():
    y_hyb = net(x)
names.update(y=y_hyb)
mx.viz.graph(y_hyb, names)

# %%
# (d) Why hybridize can be faster
# -------------------------------
# Imperatively, every call walks through Python for each layer: look up the parameters,
# check the input, create an operator, record it. The hybridized block did that once,
# while tracing, and keeps a fixed list of operators with their parameters already
# parsed; each call just runs the list. The arithmetic is the same, so the gain is the
# bookkeeping: large for small layers, small when a big matrix product dominates. As in
# the book's ``benchmark``, we time forward calls (200 of each, median per call);
# ``hybridize(active=False)`` switches back to imperative execution.


def time_per_call(net, x, n=200):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        net(x).wait_to_read()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


net.hybridize(active=False)
t_imp = time_per_call(net, x)
net.hybridize()
t_hyb = time_per_call(net, x)
print(f"imperative: {t_imp * 1e6:7.1f} us per call")
print(f"hybridized: {t_hyb * 1e6:7.1f} us per call  ({t_imp / t_hyb:.2f}x)")

# %%
# These numbers depend on the machine and on what else runs on it; only the ratio of
# two runs made side by side means much. ``benchmarks/hybridize.py`` times whole training
# steps the same way and compares them with MXNet 1.9.1 (see the README).
#
# What hybridize cannot see
# -------------------------
# Tracing runs ``hybrid_forward`` once with ``F = mx.sym`` and symbols for the inputs.
# Everything that is not an operator on ``F`` happens only then, during the trace. A
# ``print`` in ``hybrid_forward`` (the book's ``HybridNet``) shows it: it prints arrays
# on an imperative call, a symbol on the first hybridized call, and nothing afterwards,
# because later calls run the graph without Python.


class HybridNet(nn.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = nn.Dense(10)
        self.output = nn.Dense(2)

    def hybrid_forward(self, F, x):
        print("  F:", F.__name__, "  x:", type(x).__name__)
        return self.output(F.relu(self.hidden(x)))


hnet = HybridNet()
hnet.initialize()
print("imperative call:")
hnet(x)
hnet.hybridize()
for i in range(2):
    print(f"hybridized call {i + 1}:")
    hnet(x)

# %%
# And what needs a *value* cannot be traced at all: a symbol holds none. A Python ``if``
# on a result, or ``asnumpy()``, fails while tracing, with a message that says where:


class Clip(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        if x.sum() > 0:  # a decision on the data: needs a value
            return x * 2
        return x


class Show(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        print(x.asnumpy())  # NumPy needs a value too
        return x


for block in (Clip(), Show()):
    block.hybridize()
    try:
        block(x)
    except mx.base.MXNetError as e:  # MXNet's error class, as in the book
        print(type(block).__name__ + ":", str(e).split(": ", 1)[1])

# %%
# Imperatively both work. So keep data-dependent decisions outside the hybridized
# blocks, or express them with operators (``F.where``, ``F.clip``) that are part of the
# graph.
#
# (e) Export: the symbol and the parameters as files
# --------------------------------------------------
# A hybridized block that has run once can be saved as MXNet does: the graph as JSON
# (``-symbol.json``) and the parameters in MXNet's binary format (``-0000.params``).
# These are the files MXNet 1.9.1 itself reads and writes.

tmp = tempfile.mkdtemp()
prefix = os.path.join(tmp, "mlp")
net.export(prefix)
print(sorted(os.listdir(tmp)))
with open(prefix + "-symbol.json") as f:
    text = f.read()
print("\n".join(text.splitlines()[:12]))

# %%
# The JSON lists the same nodes the picture in (b) drew, in order, inputs first:

graph_json = json.loads(text)
print([(n["op"], n["name"]) for n in graph_json["nodes"]][:6])
print(sorted(nd.load(prefix + "-0000.params")))

# %%
# The parameters are stored as ``arg:<name>`` (``aux:<name>`` for auxiliary states such
# as BatchNorm's running statistics). ``SymbolBlock.imports`` builds a block from the two
# files, without the Python class that made them, and it computes the same:

net2 = SymbolBlock.imports(prefix + "-symbol.json", ["data"], prefix + "-0000.params")
print("max |difference| after import:",
      float(nd.abs(net2(x) - net(x)).max().asscalar()))
print(bool(np.array_equal(net2(x).asnumpy(), y_imp.asnumpy())))
shutil.rmtree(tmp)
