"""Linear regression from scratch, written for Apache MXNet (d2l chapter 3.2 style).

    python train.py [--epochs N] [--lr LR]

Run it under minigluon, unchanged, with ``python -m minigluon.compat train.py``.
"""

import argparse
import random

import d2lzh_like as d2l  # the helper module next to this script
import mxnet as mx
from mxnet import nd

parser = argparse.ArgumentParser()
parser.add_argument('--epochs', type=int, default=3)
parser.add_argument('--lr', type=float, default=0.03)
args = parser.parse_args()

random.seed(0)
mx.random.seed(0)
true_w, true_b = [2, -3.4], 4.2
features, labels = d2l.synthetic_data(true_w, true_b, 1000)
w = nd.random.normal(scale=0.01, shape=(2, 1))
b = nd.zeros(shape=(1,))
w, b = d2l.train(args.epochs, args.lr, 10, features, labels, w, b)
print('ctx', d2l.try_gpu())
print('w', ' '.join('%.4f' % v for v in w.asnumpy().ravel()))
print('b', '%.4f' % b.asscalar())
print('run as', __name__)
