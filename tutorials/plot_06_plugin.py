r"""
6. Writing an operator plugin
=============================

Every operator in minigluon is a small class with its forward computation and its
backward rule side by side, registered under a name. Your own operators work the same
way: nothing in the library is special to the built-in ones. This tutorial adds the
*swish* activation,

.. math:: y = x \, \sigma(\beta x), \qquad
   \frac{\partial y}{\partial x} = \sigma(\beta x)
   + \beta x\,\sigma(\beta x)\,(1 - \sigma(\beta x)),

checks its backward rule against finite differences, and draws it in a graph.

The operator class
------------------
``forward`` receives NumPy arrays and returns the output together with the *residuals*:
exactly the arrays the backward rule will need, which the tape keeps until ``backward``.
``vjp`` (vector-Jacobian product) receives those residuals and the gradient ``g`` flowing
in from the output, and returns one gradient per input. The first line of the docstring
states both rules; the library shows it when it explains a backward pass. ``samples``
gives inputs on which the rule can be checked.
"""

import attrs
import numpy as np

import minigluon as mx
from minigluon import autograd, nd
from minigluon.ops import Op, register_op
from minigluon.testing import check_op


@register_op
@attrs.frozen
class Swish(Op):
    """y = x * sigmoid(beta x).   VJP: dx = g * (s + beta x s (1 - s)), s = sigmoid(beta x)"""

    name = "swish"
    method = "swish"  # also available as x.swish()
    beta: float = 1.0  # a static parameter: an attrs field

    def forward(self, x):
        s = 1 / (1 + np.exp(-self.beta * x))
        return x * s, (x, s)

    def vjp(self, res, g):
        x, s = res
        return (g * (s + self.beta * x * s * (1 - s)),)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(3, 4))]), (cls(beta=2.0), [rng.normal(size=(5,))])]


# %%
# Registering made it an ``nd`` function and an NDArray method, and it records on the
# tape like any other operator:

x = nd.array([-2.0, 0.0, 1.0, 3.0])
x.attach_grad()
with autograd.record():
    y = nd.swish(x, beta=1.0)
    total = y.sum()
total.backward()
print("swish(x) =", y)
print("dy/dx =", x.grad)

# %%
# >>> float(nd.swish(nd.array([0.0])).asscalar())
# 0.0
# >>> bool(abs(x.swish().sum() - total).asscalar() < 1e-6)
# True
#
# Checking the backward rule
# --------------------------
# ``check_op`` compares the rule with central finite differences, in float64, on every
# sample the operator declares. The test suite runs the same check on every registered
# operator, so an operator without samples, or with a wrong rule, cannot go unnoticed.

reports = check_op("swish")
print(reports[0])

# %%
# >>> all(r.ok for r in reports)
# True
#
# A wrong rule is caught, and the report says where. Here the second term of the
# derivative is forgotten:


@register_op
@attrs.frozen
class BrokenSwish(Swish):
    """y = x * sigmoid(beta x).   VJP: dx = g * s  (wrong: a term is missing)"""

    name = "broken_swish"

    def vjp(self, res, g):
        x, s = res
        return (g * s,)


broken = check_op("broken_swish")
print(broken[0])

# %%
# >>> broken[0].ok
# False
# >>> "backward formula" in broken[0].hint
# True
#
# In a graph
# ----------
# Graph pictures and step-by-step explanations know the new operator by its name and its
# rule, like the built-in ones:

W = nd.random.normal(shape=(3, 4))
W.attach_grad()
inputs = nd.random.normal(shape=(4, 2))
with autograd.record():
    hidden = nd.swish(nd.dot(W, inputs))
    J = hidden.sum()
mx.viz.graph(J, {"W": W, "X": inputs, "H": hidden, "J": J})

# %%
# >>> print(mx.explain.explain(J, {"W": W, "X": inputs, "H": hidden, "J": J})["H"])
# 2. H = swish(#0)
#     gets ∂J/∂H (3, 2) from J
#     rule: y = x * sigmoid(beta x).   VJP: dx = g * (s + beta x s (1 - s)), s = sigmoid(beta x)
#     sends (3, 2) to #0 [data]
#
# Shipping it as a package
# ------------------------
# Put the class in your own package and declare it in that package's ``pyproject.toml``
# under the entry-point group ``minigluon.ops``:
#
# .. code-block:: toml
#
#    [project.entry-points."minigluon.ops"]
#    swish = "my_package.swish:Swish"
#
# Once the package is installed, ``nd.swish`` works without any import: the first time a
# name is not found, minigluon loads the installed plugins (set ``MINIGLUON_NO_PLUGINS=1``
# to turn that off). A plugin may not replace a built-in operator: a clash is skipped with
# a warning. ``python -m minigluon.testing --plugins`` checks every installed plugin's
# backward rule.
#
# For a one-off function inside a script, ``autograd.Function`` (MXNet's way, with
# ``forward``, ``backward`` and ``save_for_backward``) does the same job without
# registering anything.
