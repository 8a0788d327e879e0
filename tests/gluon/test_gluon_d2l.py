"""The d2l (MXNet edition) chapters on Gluon, run the book's way with ``import minigluon``.

deep-learning-basics: linear-regression-gluon, softmax-regression-gluon and mlp-gluon (on
small synthetic data instead of Fashion-MNIST), weight-decay's ``fit_and_plot_gluon``;
deep-learning-computation: model-construction, parameters, deferred-init, custom-layer,
read-write. Printed lines and names are those the semantics file records; training results
are checked loosely (J9).
"""

from __future__ import annotations

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, init, nd
from minigluon.gluon import data as gdata, loss as gloss, nn


@pytest.fixture(autouse=True)
def _fresh_kernel():
    """Each chapter runs as in a fresh Jupyter kernel (J8: names restart from 0)."""
    gluon.reset_name_counters()


# ---- d2lzh functions these chapters call -------------------------------------------------------

def evaluate_accuracy(data_iter, net):
    acc_sum, n = 0.0, 0
    for X, y in data_iter:
        y = y.astype('float32')
        acc_sum += (net(X).argmax(axis=1) == y).sum().asscalar()
        n += y.size
    return acc_sum / n


def train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
              params=None, lr=None, trainer=None):
    for epoch in range(num_epochs):
        train_l_sum, train_acc_sum, n = 0.0, 0.0, 0
        for X, y in train_iter:
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y).sum()
            l.backward()
            if trainer is None:
                for param in params:
                    param[:] = param - lr * param.grad / batch_size
            else:
                trainer.step(batch_size)
            y = y.astype('float32')
            train_l_sum += l.asscalar()
            train_acc_sum += (y_hat.argmax(axis=1) == y).sum().asscalar()
            n += y.size
        test_acc = evaluate_accuracy(test_iter, net)
        print('epoch %d, loss %.4f, train acc %.3f, test acc %.3f'
              % (epoch + 1, train_l_sum / n, train_acc_sum / n, test_acc))
    return train_l_sum / n, train_acc_sum / n, test_acc


def load_data_blobs(batch_size, n_train=600, n_test=200, num_classes=10):
    """A small stand-in for load_data_fashion_mnist: (N, 1, 4, 4) float32 images in
    separable classes, int32 labels (as the Fashion-MNIST loader gives them, G27)."""
    rs = np.random.RandomState(0)
    centers = rs.normal(scale=3, size=(num_classes, 1, 4, 4))

    def make(n):
        y = rs.randint(0, num_classes, n)
        X = centers[y] + rs.normal(size=(n, 1, 4, 4))
        return nd.array(X), nd.array(y, dtype='int32')

    train, test = make(n_train), make(n_test)
    return (gdata.DataLoader(gdata.ArrayDataset(*train), batch_size, shuffle=True),
            gdata.DataLoader(gdata.ArrayDataset(*test), batch_size, shuffle=False))


# ---- deep-learning-basics ---------------------------------------------------------------------

def test_linear_regression_gluon(capsys):
    num_inputs = 2
    num_examples = 1000
    true_w = [2, -3.4]
    true_b = 4.2
    features = nd.random.normal(scale=1, shape=(num_examples, num_inputs))
    labels = true_w[0] * features[:, 0] + true_w[1] * features[:, 1] + true_b
    labels += nd.random.normal(scale=0.01, shape=labels.shape)

    batch_size = 10
    dataset = gdata.ArrayDataset(features, labels)
    data_iter = gdata.DataLoader(dataset, batch_size, shuffle=True)

    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(init.Normal(sigma=0.01))
    loss = gloss.L2Loss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.03})

    num_epochs = 3
    for epoch in range(1, num_epochs + 1):
        for X, y in data_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
        l = loss(net(features), labels)
        print('epoch %d, loss: %f' % (epoch, l.mean().asnumpy()))

    dense = net[0]
    out = capsys.readouterr().out.splitlines()
    assert [line[:16] for line in out] == ['epoch 1, loss: 0', 'epoch 2, loss: 0',
                                          'epoch 3, loss: 0']
    assert float(out[-1].split()[-1]) < 1e-3
    np.testing.assert_allclose(dense.weight.data().asnumpy(), [true_w], atol=0.01)
    np.testing.assert_allclose(dense.bias.data().asnumpy(), [true_b], atol=0.01)
    assert repr(dense.weight) == 'Parameter dense0_weight (shape=(1, 2), dtype=float32)'


def test_softmax_regression_gluon(capsys):
    batch_size = 64
    train_iter, test_iter = load_data_blobs(batch_size)
    net = nn.Sequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    num_epochs = 5
    _, train_acc, test_acc = train_ch3(net, train_iter, test_iter, loss, num_epochs,
                                       batch_size, None, None, trainer)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and lines[0].startswith('epoch 1, loss ')
    assert train_acc > 0.9 and test_acc > 0.9
    assert net[0].weight.shape == (10, 16)  # D7: (N, 1, 4, 4) inputs are flattened


def test_mlp_gluon():
    net = nn.Sequential()
    net.add(nn.Dense(256, activation='relu'),
            nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    batch_size = 64
    train_iter, test_iter = load_data_blobs(batch_size)
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    num_epochs = 5
    _, train_acc, test_acc = train_ch3(net, train_iter, test_iter, loss, num_epochs,
                                       batch_size, None, None, trainer)
    assert test_acc > 0.9


def test_dropout_gluon_train_and_eval_modes():
    drop_prob1, drop_prob2 = 0.2, 0.5
    net = nn.Sequential()
    net.add(nn.Dense(256, activation="relu"),
            nn.Dropout(drop_prob1),
            nn.Dense(256, activation="relu"),
            nn.Dropout(drop_prob2),
            nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    train_iter, test_iter = load_data_blobs(64)
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    _, _, test_acc = train_ch3(net, train_iter, test_iter, loss, 3, 64, None, None, trainer)
    X = next(iter(test_iter))[0]
    np.testing.assert_array_equal(net(X).asnumpy(), net(X).asnumpy())  # eval: deterministic
    assert test_acc > 0.8


def test_weight_decay_fit_and_plot_gluon(capsys):
    n_train, n_test, num_inputs = 20, 100, 200
    true_w, true_b = nd.ones((num_inputs, 1)) * 0.01, 0.05
    features = nd.random.normal(shape=(n_train + n_test, num_inputs))
    labels = nd.dot(features, true_w) + true_b
    labels += nd.random.normal(scale=0.01, shape=labels.shape)
    train_features, test_features = features[:n_train, :], features[n_train:, :]
    train_labels, test_labels = labels[:n_train], labels[n_train:]
    batch_size, num_epochs, lr = 1, 100, 0.003
    loss = gloss.L2Loss()
    train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels),
                                  batch_size, shuffle=True)

    def fit_and_plot_gluon(wd):
        net = nn.Sequential()
        net.add(nn.Dense(1))
        net.initialize(init.Normal(sigma=1))
        # weight decay on the weights only
        trainer_w = gluon.Trainer(net.collect_params('.*weight'), 'sgd',
                                  {'learning_rate': lr, 'wd': wd})
        # no weight decay on the bias
        trainer_b = gluon.Trainer(net.collect_params('.*bias'), 'sgd',
                                  {'learning_rate': lr})
        train_ls, test_ls = [], []
        for _ in range(num_epochs):
            for X, y in train_iter:
                with autograd.record():
                    l = loss(net(X), y)
                l.backward()
                # two Trainers, each updating its own parameters
                trainer_w.step(batch_size)
                trainer_b.step(batch_size)
            train_ls.append(loss(net(train_features),
                                 train_labels).mean().asscalar())
            test_ls.append(loss(net(test_features),
                                test_labels).mean().asscalar())
        print('L2 norm of w:', net[0].weight.data().norm().asscalar())
        return train_ls, test_ls, net[0].weight.data().norm().asscalar()

    train0, test0, norm0 = fit_and_plot_gluon(0)
    train3, test3, norm3 = fit_and_plot_gluon(3)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(':')[0] for line in out] == ['L2 norm of w', 'L2 norm of w']
    assert norm3 < norm0 / 3  # weight decay shrinks the weights
    assert train0[-1] < train3[-1] and test3[-1] < test0[-1]  # less overfitting


# ---- deep-learning-computation ------------------------------------------------------------------

class MLP(nn.Block):
    def __init__(self, **kwargs):
        super(MLP, self).__init__(**kwargs)  # noqa: UP008 (the book's spelling)
        self.hidden = nn.Dense(256, activation='relu')
        self.output = nn.Dense(10)

    def forward(self, x):
        return self.output(self.hidden(x))


def test_model_construction():
    X = nd.random.uniform(shape=(2, 20))
    net = MLP()
    net.initialize()
    assert net(X).shape == (2, 10)

    class MySequential(nn.Block):
        def __init__(self, **kwargs):
            super(MySequential, self).__init__(**kwargs)  # noqa: UP008 (the book's spelling)

        def add(self, block):
            self._children[block.name] = block

        def forward(self, x):
            for block in self._children.values():
                x = block(x)
            return x

    net = MySequential()
    net.add(nn.Dense(256, activation='relu'))
    net.add(nn.Dense(10))
    net.initialize()
    assert net(X).shape == (2, 10)

    class FancyMLP(nn.Block):
        def __init__(self, **kwargs):
            super(FancyMLP, self).__init__(**kwargs)  # noqa: UP008 (the book's spelling)
            self.rand_weight = self.params.get_constant(
                'rand_weight', nd.random.uniform(shape=(20, 20)))
            self.dense = nn.Dense(20, activation='relu')

        def forward(self, x):
            x = self.dense(x)
            x = nd.relu(nd.dot(x, self.rand_weight.data()) + 1)
            x = self.dense(x)
            while x.norm().asscalar() > 1:
                x /= 2
            if x.norm().asscalar() < 0.8:
                x *= 10
            return x.sum()

    net = FancyMLP()
    net.initialize()
    assert net(X).shape == (1,)

    class NestMLP(nn.Block):
        def __init__(self, **kwargs):
            super(NestMLP, self).__init__(**kwargs)  # noqa: UP008 (the book's spelling)
            self.net = nn.Sequential()
            self.net.add(nn.Dense(64, activation='relu'),
                         nn.Dense(32, activation='relu'))
            self.dense = nn.Dense(16, activation='relu')

        def forward(self, x):
            return self.dense(self.net(x))

    net = nn.Sequential()
    net.add(NestMLP(), nn.Dense(20), FancyMLP())
    net.initialize()
    assert net(X).shape == (1,)
    assert repr(net).startswith('Sequential(\n  (0): NestMLP(\n    (net): Sequential(\n'
                                '      (0): Dense(20 -> 64, Activation(relu))')
    # a FancyMLP is trainable: its Constant is skipped (F10)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.01})
    with autograd.record():
        y = net(X)
    y.backward()
    trainer.step(2)


def test_parameters_chapter(capsys):
    net = nn.Sequential()
    net.add(nn.Dense(256, activation='relu'))
    net.add(nn.Dense(10))
    net.initialize()
    X = nd.random.uniform(shape=(2, 20))
    Y = net(X)
    assert repr(net[0].params) == (
        'dense0_ (\n  Parameter dense0_weight (shape=(256, 20), dtype=float32)\n'
        '  Parameter dense0_bias (shape=(256,), dtype=float32)\n)')
    assert type(net[0].params) is gluon.ParameterDict
    assert net[0].params['dense0_weight'] is net[0].weight
    assert net[0].weight.grad().asnumpy().sum() == 0
    assert net[1].bias.data().asnumpy().tolist() == [0.0] * 10
    assert repr(net.collect_params('.*weight')) == (
        'sequential0_ (\n  Parameter dense0_weight (shape=(256, 20), dtype=float32)\n'
        '  Parameter dense1_weight (shape=(10, 256), dtype=float32)\n)')

    net.initialize(init=init.Normal(sigma=0.01), force_reinit=True)
    assert abs(net[0].weight.data().asnumpy().std() - 0.01) < 0.001
    net.initialize(init=init.Constant(1), force_reinit=True)
    assert (net[0].weight.data()[0].asnumpy() == 1).all()
    net[0].weight.initialize(init=init.Xavier(), force_reinit=True)
    assert np.abs(net[0].weight.data().asnumpy()).max() <= np.sqrt(6 / 276) + 1e-6

    class MyInit(init.Initializer):
        def _init_weight(self, name, data):
            print('Init', name, data.shape)
            data[:] = nd.random.uniform(low=-10, high=10, shape=data.shape)
            data *= data.abs() >= 5

    net.initialize(MyInit(), force_reinit=True)
    assert capsys.readouterr().out == ('Init dense0_weight (256, 20)\n'
                                       'Init dense1_weight (10, 256)\n')
    w = net[0].weight.data()[0].asnumpy()
    assert ((np.abs(w) >= 5) | (w == 0)).all()
    net[0].weight.set_data(net[0].weight.data() + 1)
    np.testing.assert_array_equal(net[0].weight.data()[0].asnumpy(), w + 1)

    net = nn.Sequential()
    shared = nn.Dense(8, activation='relu')
    net.add(nn.Dense(8, activation='relu'),
            shared,
            nn.Dense(8, activation='relu', params=shared.params),
            nn.Dense(10))
    net.initialize()
    X = nd.random.uniform(shape=(2, 20))
    net(X)
    assert (net[1].weight.data()[0] == net[2].weight.data()[0]).asnumpy().tolist() == [1.0] * 8
    assert Y.shape == (2, 10)


def test_deferred_init_chapter(capsys):
    class MyInit(init.Initializer):
        def _init_weight(self, name, data):
            print('Init', name, data.shape)
            # the real initialization logic is omitted here

    net = nn.Sequential()
    net.add(nn.Dense(256, activation='relu'),
            nn.Dense(10))
    net.initialize(init=MyInit())
    assert capsys.readouterr().out == ''
    X = nd.random.uniform(shape=(2, 20))
    Y = net(X)
    assert capsys.readouterr().out == ('Init dense0_weight (256, 20)\n'
                                       'Init dense1_weight (10, 256)\n')
    Y = net(X)
    assert capsys.readouterr().out == ''
    net.initialize(init=MyInit(), force_reinit=True)
    assert capsys.readouterr().out == ('Init dense0_weight (256, 20)\n'
                                       'Init dense1_weight (10, 256)\n')
    net = nn.Sequential()
    net.add(nn.Dense(256, in_units=20, activation='relu'))
    net.add(nn.Dense(10, in_units=256))
    net.initialize(init=MyInit())
    assert capsys.readouterr().out == ('Init dense2_weight (256, 20)\n'
                                       'Init dense3_weight (10, 256)\n')
    assert Y.shape == (2, 10)


def test_custom_layer_chapter():
    class CenteredLayer(nn.Block):
        def __init__(self, **kwargs):
            super(CenteredLayer, self).__init__(**kwargs)  # noqa: UP008 (the book's spelling)

        def forward(self, x):
            return x - x.mean()

    layer = CenteredLayer()
    assert layer(nd.array([1, 2, 3, 4, 5])).asnumpy().tolist() == [-2, -1, 0, 1, 2]
    net = nn.Sequential()
    net.add(nn.Dense(128),
            CenteredLayer())
    net.initialize()
    y = net(nd.random.uniform(shape=(4, 8)))
    assert abs(y.mean().asscalar()) < 1e-6

    params = gluon.ParameterDict()
    params.get('param2', shape=(2, 3))
    assert repr(params) == ("(\n  Parameter param2 (shape=(2, 3), "
                            "dtype=<class 'numpy.float32'>)\n)")

    class MyDense(nn.Block):
        # units: the number of outputs; in_units: the number of inputs
        def __init__(self, units, in_units, **kwargs):
            super(MyDense, self).__init__(**kwargs)  # noqa: UP008 (the book's spelling)
            self.weight = self.params.get('weight', shape=(in_units, units))
            self.bias = self.params.get('bias', shape=(units,))

        def forward(self, x):
            linear = nd.dot(x, self.weight.data()) + self.bias.data()
            return nd.relu(linear)

    dense = MyDense(units=3, in_units=5)
    assert repr(dense.params) == (
        "mydense0_ (\n  Parameter mydense0_weight (shape=(5, 3), dtype=<class 'numpy.float32'>)"
        "\n  Parameter mydense0_bias (shape=(3,), dtype=<class 'numpy.float32'>)\n)")
    dense.initialize()
    assert dense(nd.random.uniform(shape=(2, 5))).shape == (2, 3)
    assert (dense.bias.data().asnumpy() != 0).all()  # H3: Uniform, not zeros
    net = nn.Sequential()
    net.add(MyDense(8, in_units=64),
            MyDense(1, in_units=8))
    net.initialize()
    assert net(nd.random.uniform(shape=(2, 64))).shape == (2, 1)


def test_read_write_chapter(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x = nd.ones(3)
    nd.save('x', x)
    x2 = nd.load('x')
    assert repr(x2) == '[\n[1. 1. 1.]\n<NDArray 3 @cpu(0)>]'
    y = nd.zeros(4)
    nd.save('xy', [x, y])
    x2, y2 = nd.load('xy')
    mydict = {'x': x, 'y': y}
    nd.save('mydict', mydict)
    assert list(nd.load('mydict')) == ['x', 'y']

    net = MLP()
    net.initialize()
    X = nd.random.uniform(shape=(2, 20))
    Y = net(X)
    filename = 'mlp.params'
    net.save_parameters(filename)
    net2 = MLP()
    net2.load_parameters(filename)
    Y2 = net2(X)
    assert (Y2 == Y).asnumpy().tolist() == [[1.0] * 10] * 2
    assert mx.cpu() == Y2.context
