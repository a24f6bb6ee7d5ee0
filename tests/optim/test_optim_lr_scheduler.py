"""Learning-rate schedulers: each one's sequence against the closed-form schedule written out here from
its definition, plus the LRScheduler contract (initial_lr, last_epoch, state_dict, warnings)."""
import math
import warnings
from bisect import bisect_right

import pytest

import plait
import plait.optim as optim
from plait.optim import lr_scheduler as sched


def sgd(lr=0.1, momentum=0.0, groups=1):
    params = [{"params": [plait.zeros(2, requires_grad=True)]} for _ in range(groups)]
    return optim.SGD(params, lr=lr, momentum=momentum)


def lr_sequence(opt, scheduler, epochs, group=0):
    """The lr in force during epochs 0 .. epochs-1, stepping the optimizer before the scheduler."""
    seen = [opt.param_groups[group]["lr"]]
    for _ in range(epochs - 1):
        opt.step()
        scheduler.step()
        seen.append(opt.param_groups[group]["lr"])
        assert scheduler.get_last_lr()[group] == seen[-1]
    return seen


def assert_close(got, expected, rel=1e-12, abs_=1e-15):
    assert len(got) == len(expected)
    for epoch, (g, e) in enumerate(zip(got, expected)):
        assert g == pytest.approx(e, rel=rel, abs=abs_), f"epoch {epoch}: {g} != {e}"


def test_all_lists_the_schedulers():
    assert set(sched.__all__) >= {"LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "LambdaLR", "OneCycleLR", "LinearLR", "ReduceLROnPlateau", "SequentialLR",
                                  "ConstantLR", "PolynomialLR", "MultiplicativeLR", "CyclicLR", "ChainedScheduler",
                                  "CosineAnnealingWarmRestarts"}
    for name in sched.__all__:
        assert hasattr(sched, name)


def test_step_lr():
    opt = sgd(0.1)
    s = sched.StepLR(opt, step_size=3, gamma=0.5)
    assert_close(lr_sequence(opt, s, 11), [0.1 * 0.5 ** (e // 3) for e in range(11)])
    assert s.last_epoch == 10


def test_multi_step_lr():
    opt = sgd(0.1)
    s = sched.MultiStepLR(opt, milestones=[2, 5, 5, 8], gamma=0.1)
    ms = [2, 5, 5, 8]
    assert_close(lr_sequence(opt, s, 10), [0.1 * 0.1 ** bisect_right(ms, e) for e in range(10)])


def test_exponential_lr():
    opt = sgd(0.1)
    s = sched.ExponentialLR(opt, gamma=0.9)
    assert_close(lr_sequence(opt, s, 20), [0.1 * 0.9 ** e for e in range(20)])


def test_cosine_annealing_lr_recursive_form_follows_closed_form():
    base, eta_min, t_max = 0.1, 0.001, 10
    opt = sgd(base)
    s = sched.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min)
    # the chainable recursion reproduces the closed form, past T_max too (where it rises again)
    expected = [eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2 for e in range(3 * t_max + 1)]
    assert_close(lr_sequence(opt, s, 3 * t_max + 1), expected, rel=1e-9, abs_=1e-12)


def test_cosine_annealing_lr_closed_form_with_explicit_epoch():
    base, t_max = 0.1, 8
    opt = sgd(base)
    s = sched.CosineAnnealingLR(opt, T_max=t_max)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(5)
    assert s.last_epoch == 5
    assert s.get_last_lr()[0] == pytest.approx(base * (1 + math.cos(math.pi * 5 / t_max)) / 2, rel=1e-12)


def test_lambda_lr_per_group():
    opt = sgd(0.1, groups=2)
    opt.param_groups[1]["lr"] = 0.2
    s = sched.LambdaLR(opt, lr_lambda=[lambda e: 0.95 ** e, lambda e: 1.0 / (e + 1)])
    assert s.base_lrs == [0.1, 0.2]
    seen0, seen1 = [], []
    for _ in range(6):
        seen0.append(opt.param_groups[0]["lr"])
        seen1.append(opt.param_groups[1]["lr"])
        opt.step()
        s.step()
    assert_close(seen0, [0.1 * 0.95 ** e for e in range(6)])
    assert_close(seen1, [0.2 / (e + 1) for e in range(6)])


def test_lambda_lr_wrong_number_of_lambdas():
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched.LambdaLR(sgd(groups=2), lr_lambda=[lambda e: 1.0])


def test_multiplicative_lr():
    opt = sgd(0.1)
    s = sched.MultiplicativeLR(opt, lr_lambda=lambda e: 0.9)
    assert_close(lr_sequence(opt, s, 8), [0.1 * 0.9 ** e for e in range(8)])


def test_constant_lr():
    opt = sgd(0.1)
    s = sched.ConstantLR(opt, factor=0.5, total_iters=4)
    assert_close(lr_sequence(opt, s, 8), [0.05 if e < 4 else 0.1 for e in range(8)])


def test_linear_lr():
    opt = sgd(0.1)
    s = sched.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=4)
    assert_close(lr_sequence(opt, s, 8), [0.1 * (0.25 + 0.75 * min(e, 4) / 4) for e in range(8)])


def test_linear_lr_decay():
    opt = sgd(0.1)
    s = sched.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=5)
    assert_close(lr_sequence(opt, s, 8), [0.1 * (1.0 - 0.9 * min(e, 5) / 5) for e in range(8)])


def test_polynomial_lr():
    opt = sgd(0.1)
    s = sched.PolynomialLR(opt, total_iters=5, power=2.0)
    assert_close(lr_sequence(opt, s, 8), [0.1 * (1 - min(e, 5) / 5) ** 2 for e in range(8)], abs_=1e-15)


def test_sequential_lr_warmup_then_decay():
    opt = sgd(0.1)
    warmup = sched.LinearLR(opt, start_factor=0.1, total_iters=3)
    decay = sched.ExponentialLR(opt, gamma=0.5)
    s = sched.SequentialLR(opt, schedulers=[warmup, decay], milestones=[3])
    expected = [0.1 * (0.1 + 0.9 * e / 3) if e < 3 else 0.1 * 0.5 ** (e - 3) for e in range(9)]
    assert_close(lr_sequence(opt, s, 9), expected)


def test_sequential_lr_checks_milestones():
    opt = sgd(0.1)
    a, b = sched.ConstantLR(opt), sched.ExponentialLR(opt, gamma=0.5)
    with pytest.raises(ValueError, match="number of milestone points"):
        sched.SequentialLR(opt, schedulers=[a, b], milestones=[2, 4])


def test_chained_scheduler():
    opt = sgd(0.1)
    s = sched.ChainedScheduler([sched.ConstantLR(opt, factor=0.1, total_iters=2), sched.ExponentialLR(opt, gamma=0.9)])
    assert_close(lr_sequence(opt, s, 6), [0.1 * 0.9 ** e * (0.1 if e < 2 else 1.0) for e in range(6)])


def _cos_anneal(start, end, pct):
    return end + (start - end) / 2 * (1 + math.cos(math.pi * pct))


def _lin_anneal(start, end, pct):
    return start + (end - start) * pct


def _one_cycle(step, total, max_lr, pct_start, anneal, div=25.0, final_div=1e4, three_phase=False,
               m_max=0.95, m_base=0.85):
    """The 1cycle policy by its definition: (lr, momentum) at ``step``."""
    initial = max_lr / div
    minimum = initial / final_div
    rise_end = pct_start * total - 1
    if three_phase:
        phases = [(rise_end, initial, max_lr, m_max, m_base), (2 * pct_start * total - 2, max_lr, initial, m_base, m_max),
                  (total - 1, initial, minimum, m_max, m_max)]
    else:
        phases = [(rise_end, initial, max_lr, m_max, m_base), (total - 1, max_lr, minimum, m_base, m_max)]
    start = 0.0
    for i, (end, lr0, lr1, mo0, mo1) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            pct = (step - start) / (end - start)
            return anneal(lr0, lr1, pct), anneal(mo0, mo1, pct)
        start = end


@pytest.mark.parametrize("strategy,anneal", [("cos", _cos_anneal), ("linear", _lin_anneal)])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_lr_with_sgd_momentum(strategy, anneal, three_phase):
    total = 20
    opt = sgd(0.1, momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=total, anneal_strategy=strategy, three_phase=three_phase)
    assert opt.param_groups[0]["initial_lr"] == pytest.approx(1.0 / 25)
    lrs, momenta = [], []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        opt.step()
        if len(lrs) < total:
            s.step()
    expected = [_one_cycle(k, total, 1.0, 0.3, anneal, three_phase=three_phase) for k in range(total)]
    assert_close(lrs, [e[0] for e in expected], abs_=1e-15)
    assert_close(momenta, [e[1] for e in expected])
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)


def test_one_cycle_lr_cycles_adam_beta1():
    p = plait.zeros(2, requires_grad=True)
    opt = optim.Adam([p], lr=0.1, betas=(0.9, 0.99))
    s = sched.OneCycleLR(opt, max_lr=0.5, epochs=2, steps_per_epoch=5, base_momentum=0.8, max_momentum=0.9)
    assert s.total_steps == 10
    seen = []
    for _ in range(10):
        seen.append(opt.param_groups[0]["betas"])
        opt.step()
        if len(seen) < 10:
            s.step()
    expected = [_one_cycle(k, 10, 0.5, 0.3, _cos_anneal, m_max=0.9, m_base=0.8) for k in range(10)]
    assert_close([b[0] for b in seen], [e[1] for e in expected])
    assert all(b[1] == 0.99 for b in seen)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        s.step()
        s.step()


def test_one_cycle_lr_needs_a_length():
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        sched.OneCycleLR(sgd(), max_lr=1.0)


def test_cyclic_lr_triangular():
    opt = sgd(0.1, momentum=0.9)
    s = sched.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=4)
    seen_lr, seen_m = [], []
    for _ in range(20):
        seen_lr.append(opt.param_groups[0]["lr"])
        seen_m.append(opt.param_groups[0]["momentum"])
        opt.step()
        s.step()

    def height(it):  # the CLR paper's triangle
        cycle = math.floor(1 + it / 8)
        return max(0.0, 1 - abs(it / 4 - 2 * cycle + 1))

    assert_close(seen_lr, [0.1 + 0.9 * height(i) for i in range(20)], abs_=1e-15)
    assert_close(seen_m, [0.9 - 0.1 * height(i) for i in range(20)], abs_=1e-15)


def test_cyclic_lr_triangular2_and_exp_range():
    opt = sgd(0.1)
    s = sched.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2, mode="triangular2", cycle_momentum=False)
    got = lr_sequence(opt, s, 12)
    expected = []
    for it in range(12):
        cycle = math.floor(1 + it / 4)
        expected.append(0.1 + 0.9 * max(0.0, 1 - abs(it / 2 - 2 * cycle + 1)) / 2 ** (cycle - 1))
    assert_close(got, expected, abs_=1e-15)

    opt = sgd(0.1)
    s = sched.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2, mode="exp_range", gamma=0.9,
                       cycle_momentum=False)
    got = lr_sequence(opt, s, 12)
    expected = []
    for it in range(12):
        cycle = math.floor(1 + it / 4)
        expected.append(0.1 + 0.9 * max(0.0, 1 - abs(it / 2 - 2 * cycle + 1)) * 0.9 ** it)
    assert_close(got, expected, abs_=1e-15)


def test_cosine_annealing_warm_restarts():
    base, eta_min = 0.1, 0.01
    opt = sgd(base)
    s = sched.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=eta_min)
    expected = []
    for e in range(21):
        if e < 3:
            t_cur, t_i = e, 3
        elif e < 9:
            t_cur, t_i = e - 3, 6
        else:
            t_cur, t_i = e - 9, 12
        expected.append(eta_min + (base - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
    assert_close(lr_sequence(opt, s, 21), expected, abs_=1e-15)


# ---------------------------------------------------------------------------- ReduceLROnPlateau
def plateau_lrs(metrics, **kwargs):
    opt = sgd(1.0)
    s = sched.ReduceLROnPlateau(opt, **kwargs)
    seen = []
    for m in metrics:
        opt.step()
        s.step(m)
        seen.append(opt.param_groups[0]["lr"])
        assert s.get_last_lr() == [seen[-1]]
    return seen


def test_reduce_lr_on_plateau_patience():
    # patience 2: the third epoch in a row without improvement reduces the lr (epochs 5 and 9)
    metrics = [10, 9, 9, 9, 9, 8, 8, 8, 8, 8]
    assert plateau_lrs(metrics, factor=0.5, patience=2) == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_reduce_lr_on_plateau_cooldown_and_min_lr():
    # patience 1: reduce at epoch 3; the 2 cooldown epochs ignore bad epochs; counting restarts at epoch 6
    # and reduces at epoch 7, but not below min_lr
    metrics = [5.0] * 10
    assert plateau_lrs(metrics, factor=0.5, patience=1, cooldown=2) == [1, 1, .5, .5, .5, .5, .25, .25, .25, .25]
    assert plateau_lrs(metrics, factor=0.5, patience=1, cooldown=2, min_lr=0.3) == [1, 1, .5, .5, .5, .5, .3, .3,
                                                                                    .3, .3]


def test_reduce_lr_on_plateau_thresholds():
    # rel, min: an improvement must beat best * (1 - threshold); 9.95 vs 10 is not enough with 1%
    assert plateau_lrs([10, 9.95, 9.92], factor=0.5, patience=1, threshold=0.01) == [1, 1, 0.5]
    # abs, min: must beat best - threshold; 9.5 doesn't beat 10 - 0.6, 9.0 does
    assert plateau_lrs([10, 9.5, 9.0], factor=0.5, patience=0, threshold=0.6, threshold_mode="abs") == [1, .5, .5]
    # max mode: the metric should grow
    assert plateau_lrs([1, 2, 2, 3], mode="max", factor=0.5, patience=0, threshold=0.0) == [1, 1, 0.5, 0.5]
    assert plateau_lrs([1, 1.05, 1.1], mode="max", factor=0.5, patience=0, threshold=0.1,
                       threshold_mode="abs") == [1, 0.5, 0.25]


def test_reduce_lr_on_plateau_eps_skips_tiny_reductions():
    assert plateau_lrs([1.0, 1.0, 1.0], factor=0.5, patience=0, eps=0.6) == [1, 1, 1]


def test_reduce_lr_on_plateau_accepts_tensor_metric_and_validates():
    assert plateau_lrs([plait.tensor(2.0), plait.tensor(3.0)], factor=0.5, patience=0) == [1, 0.5]
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        sched.ReduceLROnPlateau(sgd(), factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        sched.ReduceLROnPlateau(sgd(), mode="avg")
    with pytest.raises(ValueError, match="threshold mode both is unknown!"):
        sched.ReduceLROnPlateau(sgd(), threshold_mode="both")


def test_reduce_lr_on_plateau_state_dict():
    opt = sgd(1.0)
    s = sched.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    for m in [3.0, 2.0, 2.5]:
        s.step(m)
    s2 = sched.ReduceLROnPlateau(sgd(1.0), factor=0.9, patience=5)
    s2.load_state_dict(s.state_dict())
    assert (s2.best, s2.num_bad_epochs, s2.patience, s2.factor) == (2.0, 1, 1, 0.5)


# ---------------------------------------------------------------------------- the LRScheduler contract
def test_initial_lr_and_base_lrs():
    opt = sgd(0.1, groups=2)
    opt.param_groups[1]["lr"] = 0.3
    s = sched.StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.3]
    assert s.base_lrs == [0.1, 0.3]
    assert s.last_epoch == 0
    assert s.get_last_lr() == [0.1, 0.3]


def test_resuming_requires_initial_lr():
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\] when resuming"):
        sched.StepLR(sgd(), step_size=2, last_epoch=3)


def test_resume_with_last_epoch():
    opt = sgd(0.1)
    opt.param_groups[0]["initial_lr"] = 0.1
    opt.param_groups[0]["lr"] = 0.1 * 0.9 ** 4
    s = sched.ExponentialLR(opt, gamma=0.9, last_epoch=4)
    assert s.last_epoch == 5  # like torch, construction takes the step into the next epoch
    # constructing a resumed scheduler does not decay once more
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.9 ** 4)
    opt.step()
    s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.9 ** 5)


def test_scheduler_state_dict_round_trip():
    opt = sgd(0.1)
    s = sched.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
    for _ in range(3):
        opt.step()
        s.step()
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 3 and sd["base_lrs"] == [0.1]

    opt2 = sgd(0.1)
    s2 = sched.MultiStepLR(opt2, milestones=[7], gamma=0.9)
    s2.load_state_dict(sd)
    opt2.load_state_dict(opt.state_dict())
    for _ in range(3):
        for o, x in ((opt, s), (opt2, s2)):
            o.step()
            x.step()
    assert s2.get_last_lr() == s.get_last_lr() == [pytest.approx(0.1 * 0.25)]


def test_scheduler_state_dict_through_save(tmp_path):
    if not (hasattr(plait, "save") and hasattr(plait, "load")):
        pytest.skip("plait.save / plait.load are not available in this build of the core")
    opt = sgd(0.1)
    warmup = sched.LinearLR(opt, start_factor=0.1, total_iters=3)
    s = sched.SequentialLR(opt, [warmup, sched.CosineAnnealingLR(opt, T_max=5)], milestones=[3])
    for _ in range(4):
        opt.step()
        s.step()
    plait.save({"optimizer": opt.state_dict(), "scheduler": s.state_dict()}, tmp_path / "sched.pt")
    checkpoint = plait.load(tmp_path / "sched.pt")

    opt2 = sgd(0.1)
    s2 = sched.SequentialLR(opt2, [sched.LinearLR(opt2, start_factor=0.1, total_iters=3),
                                   sched.CosineAnnealingLR(opt2, T_max=5)], milestones=[3])
    opt2.load_state_dict(checkpoint["optimizer"])
    s2.load_state_dict(checkpoint["scheduler"])
    for _ in range(3):
        for o, x in ((opt, s), (opt2, s2)):
            o.step()
            x.step()
    assert s2.get_last_lr() == s.get_last_lr()


def test_lambda_lr_state_dict_keeps_callable_objects_state():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = sgd(0.1)
    s = sched.LambdaLR(opt, lr_lambda=Decay(0.5))
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}]
    s2 = sched.LambdaLR(sgd(0.1), lr_lambda=Decay(0.9))
    s2.load_state_dict(sd)
    assert s2.lr_lambdas[0].rate == 0.5
    assert sched.LambdaLR(sgd(), lr_lambda=lambda e: 1.0).state_dict()["lr_lambdas"] == [None]


def test_warns_when_scheduler_steps_before_optimizer():
    opt = sgd(0.1)
    s = sched.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()


def test_no_warning_in_the_right_order():
    opt = sgd(0.1)
    s = sched.StepLR(opt, step_size=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        s.step()


def test_get_lr_outside_step_warns():
    s = sched.StepLR(sgd(), step_size=1)
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched.StepLR([], step_size=1)
