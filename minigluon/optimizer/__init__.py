"""Optimizers: the update rules that ``gluon.Trainer`` applies, as ``mx.optimizer``.

Every rule gives the numbers of Apache MXNet 1.9.1, including where each optimizer applies
``rescale_grad``, ``clip_gradient`` and ``wd`` (they differ from one optimizer to the next;
each class docstring states its rule). ``g`` below is the raw gradient, ``r`` is
``rescale_grad`` (the Trainer sets it to ``1/batch_size``), ``lr`` and ``wd`` already
include the parameter's ``lr_mult``/``wd_mult``, and ``clip(x)`` limits x to
``[-clip_gradient, clip_gradient]``.

Write your own by subclassing :class:`Optimizer` and registering it::

    @mx.optimizer.register
    class MySGD(mx.optimizer.Optimizer):
        def create_state(self, index, weight):
            return None
        def update(self, index, weight, grad, state):
            weight[:] -= self._get_lr(index) * (self.rescale_grad * grad)

after which ``gluon.Trainer(params, 'mysgd', {...})`` finds it under its lower-cased class
name. Packages can ship optimizers through the ``minigluon.optimizers`` entry-point group.

The package is laid out by family: :mod:`~minigluon.optimizer.optimizer` (the base class
and the registry), :mod:`~minigluon.optimizer.sgd` (SGD, NAG, Signum, DCASGD, SGLD, ccSGD),
:mod:`~minigluon.optimizer.adaptive` (AdaGrad ... Ftrl, LAMB, GroupAdaGrad),
:mod:`~minigluon.optimizer.large_batch` (LARS, LBSGD),
:mod:`~minigluon.optimizer.updater`,
and ``_mxnet_numerics`` (how MXNet parses hyper-parameters). A new family of built-in rules
is one more module that registers its classes with ``optimizer._builtin`` and is imported
here.

Examples
--------
>>> import minigluon as mx
>>> opt = mx.optimizer.create('sgd', learning_rate=0.1, wd=0.5)
>>> w, g = mx.nd.array([1, 2]), mx.nd.array([4, 8])
>>> opt.rescale_grad = 1 / 2            # what trainer.step(2) does
>>> opt.update(0, w, g, opt.create_state(0, w))
>>> w
<BLANKLINE>
[0.75 1.5 ]
<NDArray 2 @cpu(0)>
"""

from __future__ import annotations

from .adaptive import (
           FTML,
           LAMB,
           AdaDelta,
           AdaGrad,
           Adam,
           Adamax,
           Ftrl,
           GroupAdaGrad,
           Nadam,
           RMSProp,
)
from .large_batch import LARS, LBSGD
from .optimizer import OPTIMIZERS, Optimizer, create, register
from .sgd import DCASGD, NAG, SGD, SGLD, Signum, ccSGD
from .updater import Updater, get_updater

__all__ = ["Optimizer", "SGD", "NAG", "AdaGrad", "RMSProp", "AdaDelta", "Adam", "Adamax",
           "Nadam", "Signum", "Ftrl", "FTML", "DCASGD", "LAMB", "SGLD", "ccSGD", "GroupAdaGrad",
           "LARS", "LBSGD", "Updater", "register",
           "create", "get_updater", "OPTIMIZERS"]
