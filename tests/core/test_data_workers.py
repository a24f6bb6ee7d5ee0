"""DataLoader(num_workers > 0): worker processes that really load in parallel, with torch's ordering,
seeding, worker info, fault handling and clean shutdown (no zombies, no leaked shared memory)."""
import gc
import multiprocessing
import os
import pathlib
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import plait
from plait.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the tests use fork and /dev/shm")

SHM = pathlib.Path("/dev/shm")


def _segments():
    return {p.name for p in SHM.iterdir() if p.name.startswith("psm_")} if SHM.is_dir() else set()


@pytest.fixture(autouse=True)
def _no_leaks():
    """Every test leaves no worker process and no shared-memory segment behind."""
    before = _segments()
    yield
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not multiprocessing.active_children()
    assert _segments() - before == set()


class Squares(Dataset):
    """Sample i: (a float tensor filled with i, the int i, the id of the worker that loaded it)."""

    def __init__(self, n=20, size=(2,), delay=0.0):
        self.n, self.size, self.delay = n, size, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.delay:
            time.sleep(self.delay)
        info = get_worker_info()
        return plait.full(self.size, float(i * i)), i, -1 if info is None else info.id


class RandomDraws(Dataset):
    """Each sample draws from plait's, Python's and NumPy's global generators inside the worker."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        import numpy as np
        return plait.rand(()).item(), random.random(), float(np.random.rand()), get_worker_info().seed


class Failing(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError(f"sample {i} is broken")
        return i


class KillsItself(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Sleepy(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(5)
        return i


class Pids(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return os.getpid()


class Stream(IterableDataset):
    """range(start, end), sharded between workers as torch's documentation shows."""

    def __init__(self, start, end, shard=True):
        self.start, self.end, self.shard = start, end, shard

    def __iter__(self):
        info = get_worker_info()
        lo, hi = self.start, self.end
        if self.shard and info is not None:
            per = -(-(hi - lo) // info.num_workers)
            lo = lo + info.id * per
            hi = min(lo + per, self.end)
        return iter(range(lo, hi))


def test_batches_come_in_sampler_order_with_the_same_values_as_in_process():
    ds = Squares(20)
    single = [(x.tolist(), i.tolist()) for x, i, _ in DataLoader(ds, batch_size=3)]
    multi = list(DataLoader(ds, batch_size=3, num_workers=2))
    assert [(x.tolist(), i.tolist()) for x, i, _ in multi] == single
    workers = [w.tolist() for _, _, w in multi]
    assert workers[0] == [0] * 3 and workers[1] == [1] * 3 and workers[2] == [0] * 3  # round robin


def test_shuffled_order_follows_the_generator_like_the_single_process_loader():
    ds = TensorDataset(plait.arange(30.0), plait.arange(30))
    single = [y.tolist() for _, y in DataLoader(ds, batch_size=4, shuffle=True,
                                                generator=plait.Generator().manual_seed(3))]
    multi = [y.tolist() for _, y in DataLoader(ds, batch_size=4, shuffle=True, num_workers=3,
                                               generator=plait.Generator().manual_seed(3))]
    assert multi == single and sorted(sum(multi, [])) == list(range(30))


def test_out_of_order_delivery_yields_every_batch_and_does_not_wait_for_a_slow_one():
    class FirstIsSlow(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            if i == 0:
                time.sleep(1.0)
            return i

    got = [b.tolist() for b in DataLoader(FirstIsSlow(), batch_size=1, num_workers=2, in_order=False)]
    assert sorted(got) == [[i] for i in range(6)]
    assert got[0] != [0]
    in_order = [b.tolist() for b in DataLoader(FirstIsSlow(), batch_size=1, num_workers=2)]
    assert in_order == [[i] for i in range(6)]


def test_large_batches_cross_through_shared_memory_exactly():
    ds = Squares(6, size=(64, 64, 4))  # 64 KiB per sample: the shared-memory path
    for x, i, _ in DataLoader(ds, batch_size=2, num_workers=2):
        assert x.shape == (2, 64, 64, 4) and x.dtype == plait.float32
        assert x.sum(dim=(1, 2, 3)).tolist() == [float(k * k) * 64 * 64 * 4 for k in i.tolist()]


def test_worker_info_seed_and_init_fn():
    seen = []

    def init(worker_id):
        info = get_worker_info()
        assert info.id == worker_id and info.num_workers == 2
        info.dataset.n = 999  # the worker's own copy

    class Info(Dataset):
        n = 4

        def __len__(self):
            return 4

        def __getitem__(self, i):
            info = get_worker_info()
            return info.id, info.seed, info.dataset.n

    ds = Info()
    g = plait.Generator().manual_seed(7)
    expected_base = plait.Generator().manual_seed(7)._random_seed()
    for ids, seeds, ns in DataLoader(ds, batch_size=1, num_workers=2, worker_init_fn=init, generator=g):
        seen.append((ids.item(), seeds.item(), ns.item()))
    assert seen == [(0, expected_base, 999), (1, expected_base + 1, 999)] * 2
    assert ds.n == 4 and get_worker_info() is None
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        from plait.utils.data._worker import WorkerInfo
        WorkerInfo(0, 1, 0, None).id = 3


def _draws(seed, **kwargs):
    loader = DataLoader(RandomDraws(), batch_size=2, num_workers=2, generator=plait.Generator().manual_seed(seed),
                        **kwargs)
    return [tuple(t.tolist() for t in batch) for batch in loader]


def test_workers_draw_differently_from_each_other_and_repeat_with_the_same_seed():
    first, again, other = _draws(0), _draws(0), _draws(1)
    assert first == again and first != other
    worker0, worker1 = first[0], first[1]
    for k in range(3):  # plait, random, NumPy: each differs between the two workers
        assert worker0[k] != worker1[k]


def test_the_same_seed_gives_the_same_draws_in_a_new_process(tmp_path):
    script = tmp_path / "draws.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r})
        from test_data_workers import _draws
        print(_draws(0))
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == str(_draws(0))


def test_iterable_dataset_each_worker_iterates_its_copy_and_sharding_works():
    sharded = [b.tolist() for b in DataLoader(Stream(0, 10), batch_size=2, num_workers=2)]
    assert sorted(sum(sharded, [])) == list(range(10))
    assert sharded[:2] == [[0, 1], [5, 6]]  # one batch from each worker in turn
    unsharded = list(DataLoader(Stream(0, 4, shard=False), batch_size=None, num_workers=2))  # ints stay ints
    assert sorted(unsharded) == [0, 0, 1, 1, 2, 2, 3, 3]  # torch's documented duplication without sharding
    dropped = [b.tolist() for b in DataLoader(Stream(0, 10), batch_size=2, num_workers=2, drop_last=True)]
    assert all(len(b) == 2 for b in dropped) and sorted(sum(dropped, [])) == [0, 1, 2, 3, 5, 6, 7, 8]


def test_persistent_workers_survive_across_epochs():
    loader = DataLoader(Pids(), batch_size=1, num_workers=2, persistent_workers=True)
    epoch1 = sorted(p.item() for p in loader)
    epoch2 = sorted(p.item() for p in loader)
    assert epoch1 == epoch2 and len(set(epoch1)) == 2
    for b in loader:  # break early: the next epoch still starts cleanly, stale batches dropped
        break
    assert sorted(p.item() for p in loader) == epoch1
    loader._iterator._shutdown_workers()
    transient = DataLoader(Pids(), batch_size=1, num_workers=2)
    assert set(p.item() for p in transient).isdisjoint(epoch1)


def test_persistent_workers_restart_an_iterable_dataset_each_epoch():
    loader = DataLoader(Stream(0, 6), batch_size=3, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5]]
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5]]
    loader._iterator._shutdown_workers()


def test_custom_collate_batch_sampler_and_prefetch_factor():
    def collate(samples):
        return [s[1] for s in samples]

    loader = DataLoader(Squares(7), batch_sampler=[[0, 3], [6], [1, 2, 4]], collate_fn=collate, num_workers=2,
                        prefetch_factor=1)
    assert list(loader) == [[0, 3], [6], [1, 2, 4]]
    assert DataLoader(Squares(7), num_workers=2).prefetch_factor == 2


def test_argument_errors_as_torch():
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        DataLoader(Squares(), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Squares(), persistent_workers=True)
    with pytest.raises(ValueError, match="multiprocessing_context option should specify a valid start method"):
        DataLoader(Squares(), num_workers=1, multiprocessing_context="teleport")
    with pytest.raises(ValueError, match="multiprocessing_context can only be used with multi-process loading"):
        DataLoader(Squares(), multiprocessing_context="fork")


def test_an_exception_in_a_worker_reraises_here_with_its_traceback():
    with pytest.raises(ValueError) as err:
        list(DataLoader(Failing(), batch_size=2, num_workers=2))
    text = str(err.value)
    del err  # its traceback holds the iterator, whose workers stay up (as torch's) until it is dropped
    gc.collect()
    assert "Caught ValueError in DataLoader worker process 0" in text
    assert "Original Traceback" in text and "sample 5 is broken" in text and "__getitem__" in text


def test_a_worker_killed_by_a_signal_is_reported_not_waited_for():
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+\) is killed by signal: Killed"):
        list(DataLoader(KillsItself(), batch_size=1, num_workers=2))
    gc.collect()
    assert time.monotonic() - t0 < 30


def test_timeout_raises_torchs_error():
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.5 seconds"):
        next(iter(DataLoader(Sleepy(), num_workers=1, timeout=0.5)))


def test_breaking_out_and_deleting_the_iterator_stop_the_workers():
    it = iter(DataLoader(Squares(50, size=(64, 64, 8)), batch_size=2, num_workers=2))
    next(it)
    workers = list(it._workers)
    assert all(w.is_alive() for w in workers)
    del it
    for w in workers:
        w.join(10)
        assert not w.is_alive()


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_other_start_methods_with_a_dataset_defined_in_main(method, tmp_path):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available on this platform")
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(f"""
        import plait
        from plait.utils.data import DataLoader, Dataset, get_worker_info

        class Local(Dataset):
            def __len__(self):
                return 6

            def __getitem__(self, i):
                return plait.tensor([float(i)]), get_worker_info().id

        if __name__ == "__main__":
            loader = DataLoader(Local(), batch_size=2, num_workers=2, multiprocessing_context={method!r})
            print([(x.flatten().tolist(), w.tolist()) for x, w in loader])
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[([0.0, 1.0], [0, 0]), ([2.0, 3.0], [1, 1]), ([4.0, 5.0], [0, 0])]"


@pytest.mark.parametrize("ending", ["raise KeyboardInterrupt", "import sys; sys.exit(3)", "pass"])
def test_interrupt_and_interpreter_exit_leave_no_workers_or_segments(ending, tmp_path):
    script = tmp_path / "interrupted.py"
    script.write_text(textwrap.dedent(f"""
        import os, time
        import plait
        from plait.utils.data import DataLoader, Dataset

        class Big(Dataset):
            def __len__(self):
                return 100

            def __getitem__(self, i):
                return plait.full((64, 64, 8), float(i)), os.getpid()

        it = iter(DataLoader(Big(), batch_size=2, num_workers=2))
        print(" ".join(str(w.pid) for w in it._workers), flush=True)
        next(it)
        time.sleep(0.5)  # the workers fill their prefetch slots with segments
        {ending}
    """))
    before = _segments()
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2, out.stderr
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in pids if pathlib.Path(f"/proc/{p}").exists()]
        time.sleep(0.05)
    assert alive == []
    assert _segments() - before == set()


def test_pin_memory_without_an_accelerator_warns_as_torch_and_changes_nothing():
    if plait.cuda.is_available():
        pytest.skip("a CUDA backend is usable here")
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
        batches = list(DataLoader(Squares(4), batch_size=2, pin_memory=True, num_workers=1))
    assert [i.tolist() for _, i, _ in batches] == [[0, 1], [2, 3]]


def test_memory_of_a_long_run_stays_flat():
    import tracemalloc
    loader = DataLoader(Squares(400, size=(32, 32, 16)), batch_size=2, num_workers=2, persistent_workers=True)
    tracemalloc.start()
    try:
        for epoch in range(3):
            for _ in loader:
                pass
            if epoch == 0:
                after_first = tracemalloc.get_traced_memory()[0]
        growth = tracemalloc.get_traced_memory()[0] - after_first
    finally:
        tracemalloc.stop()
        loader._iterator._shutdown_workers()
    assert growth < 1 << 20, f"{growth} bytes more after two more epochs of 200 batches"
