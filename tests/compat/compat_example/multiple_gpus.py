"""The code of the book's chapter 8 multi-GPU sections (d2l-zh v1: multiple-gpus,
multiple-gpus-gluon), with small stand-ins for the data set and the ResNet, run as
`MINIGLUON_GPUS=2 python -m minigluon.compat multiple_gpus.py`."""

import mxnet as mx
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn, utils as gutils

# ---- from scratch: parameters copied to each GPU, all-reduce by copies ----------------
scale = 0.01
W1 = nd.random.normal(scale=scale, shape=(8, 4))
b1 = nd.zeros(8)
params = [W1, b1]


def get_params(params, ctx):
    new_params = [p.copyto(ctx) for p in params]
    for p in new_params:
        p.attach_grad()
    return new_params


new_params = get_params(params, mx.gpu(0))
print('b1 weight:', new_params[1].context)


def allreduce(data):
    for i in range(1, len(data)):
        data[0][:] += data[i].copyto(data[0].context)
    for i in range(1, len(data)):
        data[0].copyto(data[i])


data = [nd.ones((1, 2), ctx=mx.gpu(i)) * (i + 1) for i in range(2)]
allreduce(data)
print('allreduce:', data[0].asnumpy().tolist(), data[1].asnumpy().tolist(), data[1].context)

batch = nd.arange(24).reshape((6, 4))
ctx = [mx.gpu(0), mx.gpu(1)]
splitted = gutils.split_and_load(batch, ctx)
print('split:', [s.shape for s in splitted], [s.context for s in splitted])

# ---- with Gluon: initialize on both GPUs, Trainer sums the gradients -------------------
net = nn.Sequential()
net.add(nn.Dense(16, activation='relu'), nn.Dense(3))
net.initialize(init=init.Normal(sigma=0.01), ctx=ctx)
x = nd.random.uniform(shape=(4, 5))
gpu_x = gutils.split_and_load(x, ctx)
print('outputs on:', net(gpu_x[0]).context, net(gpu_x[1]).context)
weight = net[1].params.get('weight')
try:
    weight.data()
except Exception:
    print('not initialized on', mx.cpu())
same = bool((weight.data(ctx[0]).asnumpy() == weight.data(ctx[1]).asnumpy()).all())
print('same weights on both:', same)

loss = gloss.SoftmaxCrossEntropyLoss()
X_all = nd.random.normal(shape=(64, 5))
y_all = (X_all[:, 0] > 0) + (X_all[:, 1] > 0)
train_iter = gluon.data.DataLoader(gluon.data.ArrayDataset(X_all, y_all), batch_size=16)
net.initialize(init=init.Normal(sigma=0.1), ctx=ctx, force_reinit=True)
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
for epoch in range(1, 4):
    total = 0.0
    for X, y in train_iter:
        gpu_Xs = gutils.split_and_load(X, ctx)
        gpu_ys = gutils.split_and_load(y, ctx)
        with autograd.record():
            ls = [loss(net(gpu_X), gpu_y) for gpu_X, gpu_y in zip(gpu_Xs, gpu_ys)]
        for l in ls:
            l.backward()
        trainer.step(16)
        total += sum(l.sum().asscalar() for l in ls)
    nd.waitall()
    print('epoch %d, loss %.4f' % (epoch, total / 64))
w0, w1 = (net[0].weight.data(c).asnumpy() for c in ctx)
print('copies equal after training:', bool((w0 == w1).all()))

# ---- auto-parallelism: work on two GPUs, then copies to the CPU -----------------------


def run(x):
    return [nd.dot(x, x) for _ in range(5)]


x_gpu1 = nd.random.uniform(shape=(40, 40), ctx=mx.gpu(0))
x_gpu2 = nd.random.uniform(shape=(40, 40), ctx=mx.gpu(1))
run(x_gpu1)
run(x_gpu2)
nd.waitall()


def copy_to_cpu(x):
    return [y.copyto(mx.cpu()) for y in x]


y = run(x_gpu1)
y_cpu = copy_to_cpu(y)
nd.waitall()
print('copied to:', y[0].context, '->', y_cpu[0].context)
