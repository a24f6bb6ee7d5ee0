"""plait.multiprocessing: tensors in shared memory are the same memory in another process (any start method),
Hogwild training of one shared model, and spawn's fail-fast errors."""
import gc
import os
import pathlib
import signal

import pytest

import plait
import plait.multiprocessing as mp

SHM = pathlib.Path("/dev/shm")


def _segments():
    return {p.name for p in SHM.iterdir() if p.name.startswith("psm_")} if SHM.is_dir() else set()


def _backend_shares():
    return hasattr(plait.zeros(1)._backend, "share_memory")


needs_sharing = pytest.mark.skipif(not _backend_shares(), reason="this backend has no shared-memory hook")


def _add_rank(rank, t):
    t.add_(rank + 1)  # in place: into the shared segment


def _sgd_steps(rank, model, steps):
    import plait.nn.functional as F
    import plait.optim as optim
    plait.manual_seed(rank)
    opt = optim.SGD(model.parameters(), lr=0.05)
    for _ in range(steps):
        x = plait.randn(16, 4)
        opt.zero_grad()
        F.mse_loss(model(x), x.sum(1, keepdim=True)).backward()
        opt.step()


def _fail(rank):
    if rank == 1:
        raise ValueError("boom in process 1")


def _die(rank):
    if rank == 0:
        os.kill(os.getpid(), signal.SIGKILL)


@needs_sharing
@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_a_shared_tensor_is_the_same_memory_in_the_child(method):
    t = plait.zeros(3).share_memory_()
    assert t.is_shared() and not plait.zeros(3).is_shared()
    assert t.share_memory_() is t  # already shared: unchanged
    mp.spawn(_add_rank, args=(t,), nprocs=2, start_method=method)
    assert t.tolist() == [3.0, 3.0, 3.0]  # 1 + 2 from the two processes


@needs_sharing
def test_hogwild_training_updates_the_parents_shared_model():
    nn = pytest.importorskip("plait.nn")
    plait.manual_seed(0)
    model = nn.Linear(4, 1)
    before = [p.detach().clone() for p in model.parameters()]
    model.share_memory()
    assert all(p.is_shared() for p in model.parameters())
    processes = [mp.get_context("spawn").Process(target=_sgd_steps, args=(rank, model, 20)) for rank in range(2)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(120)
        assert p.exitcode == 0
    x = plait.randn(64, 4)
    loss_before = ((x @ before[0].t() + before[1]) - x.sum(1, keepdim=True)).pow(2).mean()
    loss_after = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
    assert not plait.equal(model.weight, before[0]) and loss_after.item() < loss_before.item()


def test_unshared_tensors_travel_by_value_through_a_queue():
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    q.put(plait.arange(4.0, requires_grad=True))
    got = q.get(timeout=30)
    assert got.tolist() == [0.0, 1.0, 2.0, 3.0] and got.requires_grad and not got.is_shared()


@needs_sharing
def test_segments_are_removed_when_the_shared_tensor_is_collected():
    before = _segments()
    t = plait.ones(1000).share_memory_()
    assert len(_segments() - before) == 1
    del t
    gc.collect()
    assert _segments() - before == set()


def test_spawn_raises_for_a_failing_process_with_its_traceback():
    with pytest.raises(mp.ProcessRaisedException) as err:
        mp.spawn(_fail, nprocs=2)
    assert "-- Process 1 terminated with the following error" in str(err.value)
    assert "ValueError: boom in process 1" in str(err.value) and err.value.error_index == 1


def test_spawn_raises_for_a_killed_process():
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with signal SIGKILL"):
        mp.spawn(_die, nprocs=2)


def test_spawn_without_join_returns_the_context():
    context = mp.spawn(_add_rank, args=(plait.zeros(1),), nprocs=2, join=False)
    assert len(context.pids()) == 2
    while not context.join(timeout=30):
        pass


def test_multiprocessing_keeps_pythons_names_and_torchs_additions():
    import multiprocessing
    assert mp.Process is multiprocessing.Process and mp.Queue is multiprocessing.Queue
    assert mp.get_all_sharing_strategies() == {"file_system"} and mp.get_sharing_strategy() == "file_system"
    with pytest.raises(ValueError, match="sharing strategy 'file_descriptor' is not available"):
        mp.set_sharing_strategy("file_descriptor")
    assert callable(mp.set_start_method) and callable(mp.Queue)


@pytest.mark.skipif(_backend_shares(), reason="this backend shares memory")
def test_a_backend_without_shared_memory_says_so():
    with pytest.raises(RuntimeError, match="cannot place tensors in shared memory"):
        plait.zeros(2).share_memory_()
