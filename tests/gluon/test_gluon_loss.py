"""Losses (semantics table E): values and gradients against MXNet and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from gluon_golden import GOLDEN, G, programs

import minigluon as mx
from minigluon import autograd, gluon, nd, testing
from minigluon.gluon import loss as gloss


@pytest.mark.parametrize("prog", programs("loss_"),
                         ids=lambda p: p.__name__)
def test_matches_mxnet(prog):
    problems = G.compare(prog, mx, GOLDEN)
    assert not problems, "\n".join(problems)


def test_documented_values_e1_e8_e16():
    assert gloss.L2Loss()(nd.array([[1], [2], [3]]), nd.array([0, 0, 1])).asnumpy().tolist() \
        == [0.5, 2.0, 2.0]
    sce = gloss.SoftmaxCrossEntropyLoss()(nd.array([[1, 2, 3], [1, 1, 1]]), nd.array([2, 0]))
    # MXNet prints 0.40760383 (its float32 log-softmax is 2e-6 off); float64 gives:
    np.testing.assert_allclose(sce.asnumpy(), [0.4076059644, 1.0986122887], rtol=2e-7)
    bce = gloss.SigmoidBCELoss()(nd.array([[0, 2, -3]]), nd.array([[0, 1, 1]]))
    np.testing.assert_allclose(bce.asnumpy(), [1.2895542], rtol=1e-6)
    big = gloss.SoftmaxCrossEntropyLoss()(nd.array([[1000, 0]]), nd.array([1]))
    assert big.asnumpy().tolist() == [1000.0]


# ---- gradients against float64 finite differences ------------------------------------------

RS = np.random.RandomState(0)
CASES = [
    ("l2", gloss.L2Loss(), RS.normal(size=(4, 3)), RS.normal(size=(4, 3))),
    ("l2_w", gloss.L2Loss(weight=3., batch_axis=1), RS.normal(size=(2, 5)),
     RS.normal(size=(2, 5))),
    ("l1", gloss.L1Loss(), RS.normal(size=(4, 3)), RS.normal(size=(4, 3))),
    ("sce", gloss.SoftmaxCrossEntropyLoss(), 3 * RS.normal(size=(5, 4)), [0, 3, 1, 1, 2]),
    ("sce_axis1", gloss.SoftmaxCrossEntropyLoss(axis=1), RS.normal(size=(2, 3, 4)),
     RS.randint(0, 3, (2, 4))),
    ("sce_dense", gloss.SoftmaxCELoss(sparse_label=False), RS.normal(size=(3, 4)),
     RS.dirichlet(np.ones(4), 3)),
    ("sce_logits", gloss.SoftmaxCELoss(from_logits=True), -RS.uniform(0.1, 3, (3, 4)),
     [3, 0, 1]),
    ("bce", gloss.SigmoidBCELoss(), 4 * RS.normal(size=(4, 3)), RS.randint(0, 2, (4, 3))),
    ("bce_sig", gloss.SigmoidBCELoss(from_sigmoid=True), RS.uniform(0.1, 0.9, (4, 3)),
     RS.randint(0, 2, (4, 3))),
    ("huber", gloss.HuberLoss(rho=0.7), 2 * RS.normal(size=(4, 3)), RS.normal(size=(4, 3))),
    ("hinge", gloss.HingeLoss(), RS.normal(size=(4, 3)), RS.choice([-1.0, 1.0], (4, 3))),
    ("sq_hinge", gloss.SquaredHingeLoss(), RS.normal(size=(4, 3)),
     RS.choice([-1.0, 1.0], (4, 3))),
    ("logistic", gloss.LogisticLoss(), RS.normal(size=(4, 3)), RS.choice([-1.0, 1.0], (4, 3))),
    ("kldiv", gloss.KLDivLoss(from_logits=False), RS.normal(size=(3, 4)),
     RS.dirichlet(np.ones(4), 3)),
]


@pytest.mark.parametrize("name,loss,pred,label", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_finite_differences(name, loss, pred, label):
    lab = nd.array(label, dtype="float64")
    report = testing.check_grad(lambda p: loss(p, lab), [pred])
    assert report, report


def test_l2_gradient_is_pred_minus_label_e6():
    p = nd.array([[1.0], [2.0], [3.0]])
    p.attach_grad()
    with autograd.record():
        loss = gloss.L2Loss()(p, nd.array([0.0, 0.0, 1.0]))
    loss.backward()
    assert p.grad.asnumpy().ravel().tolist() == [1.0, 2.0, 2.0]


def test_sce_gradient_is_softmax_minus_onehot_e14():
    p = nd.array([[1.0, 2.0, 3.0]])
    p.attach_grad()
    with autograd.record():
        loss = gloss.SoftmaxCrossEntropyLoss()(p, nd.array([2]))
    loss.backward()
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p.grad.asnumpy()[0], e / e.sum() - [0, 0, 1], rtol=1e-6)


def test_sce_is_one_fused_operator():
    p = nd.ones((4, 3))
    p.attach_grad()
    with autograd.record() as tape:
        gloss.SoftmaxCrossEntropyLoss()(p, nd.array([0, 1, 2, 0]))
    assert [n.opname for n in tape.nodes][0] == "_softmax_cross_entropy"


# ---- bad labels (E9: improved, MXNet clips them silently) ----------------------------------

@pytest.mark.parametrize("label,bad", [([5, 0], "5.0"), ([2, -1], "-1.0"),
                                       ([0, float("nan")], "nan")])
def test_sce_out_of_range_label_raises_e9(label, bad):
    with pytest.raises(IndexError) as e:
        gloss.SoftmaxCrossEntropyLoss()(nd.ones((2, 3)), nd.array(label))
    assert str(e.value).startswith(f"label {bad} is out of range for 3 classes: class labels "
                                   "must lie in [0, 2]")


def test_sce_out_of_range_label_int_and_from_logits():
    with pytest.raises(IndexError, match="label 3 is out of range for 3 classes"):
        gloss.SoftmaxCELoss()(nd.ones((2, 3)), nd.array([3, 0], dtype="int32"))
    with pytest.raises(IndexError, match="out of range for 3 classes"):
        gloss.SoftmaxCELoss(from_logits=True)(nd.ones((2, 3)), nd.array([3, 0]))


def test_sce_float_labels_truncate_e10():
    a = gloss.SoftmaxCELoss()(nd.array([[1.0, 2.0, 3.0]]), nd.array([1.7]))
    b = gloss.SoftmaxCELoss()(nd.array([[1.0, 2.0, 3.0]]), nd.array([1]))
    assert a.asnumpy().tolist() == b.asnumpy().tolist()


def test_sample_weight_and_weight_e5():
    p, lab = nd.array([[1.0, 3.0]]), nd.array([[0.0, 0.0]])
    assert gloss.L2Loss(weight=2.)(p, lab).asnumpy().tolist() == [5.0]  # mean(2/2 * [1, 9])
    sw = nd.array([[1.0, 0.0]])
    assert gloss.L2Loss()(p, lab, sw).asnumpy().tolist() == [0.25]
    with pytest.raises(AssertionError, match="weight must be a number"):
        gloss.L1Loss(weight="2")(p, lab)


def test_losses_are_hybridblocks_without_params_e17():
    gluon.reset_name_counters()
    loss = gloss.L2Loss()
    assert isinstance(loss, gluon.HybridBlock) and loss.name == "l2loss0"
    assert list(loss.collect_params().keys()) == []
    assert repr(gloss.SoftmaxCELoss()) == "SoftmaxCrossEntropyLoss(batch_axis=0, w=None)"


def test_logistic_label_format_is_checked():
    with pytest.raises(ValueError, match="label_format can only be signed or binary"):
        gloss.LogisticLoss(label_format="other")
