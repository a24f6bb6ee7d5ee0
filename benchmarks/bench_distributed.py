"""plait.distributed beside torch.distributed (gloo) on this machine: all-reduce time for 1-100 MB
float32 buffers and the DDP step of the MLP (784-512-256-10, batch 128 per rank) at 1 and 2 ranks.

    python benchmarks/bench_distributed.py          # starts its own ranks (plait: MPI; torch: gloo)

Target (read from the printed ratios): all-reduce time <= 1.2x torch gloo's for the same sizes.
"""
import os
import socket
import statistics
import subprocess
import sys
import time

SIZES_MB = (1, 10, 100)


def _times(fn, repeat):
    fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def _mlp(nn):
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def plait_rank_job():
    import plait
    import plait.distributed as dist
    import plait.nn as nn
    import plait.optim as optim
    dist.init_process_group("mpi")
    results = {}
    if dist.get_world_size() > 1:
        for mb in SIZES_MB:
            t = plait.ones(mb * (1 << 20) // 4)
            dist.barrier()
            results[f"allreduce {mb} MB"] = _times(lambda: dist.all_reduce(t), 5 if mb < 100 else 3)
    model = nn.parallel.DistributedDataParallel(_mlp(nn))
    opt = optim.SGD(model.parameters(), lr=0.01)
    x, y = plait.randn(128, 784), plait.randint(0, 10, (128,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    dist.barrier()
    results[f"DDP MLP step, {dist.get_world_size()} rank(s)"] = _times(step, 20)
    if dist.get_rank() == 0:
        print(repr(results), flush=True)
    dist.destroy_process_group()


def torch_rank_job(rank, world, port, queue):
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    results = {}
    if world > 1:
        for mb in SIZES_MB:
            t = torch.ones(mb * (1 << 20) // 4)
            dist.barrier()
            results[f"allreduce {mb} MB"] = _times(lambda: dist.all_reduce(t), 5 if mb < 100 else 3)
    model = torch.nn.parallel.DistributedDataParallel(_mlp(torch.nn))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(128, 784), torch.randint(0, 10, (128,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    dist.barrier()
    results[f"DDP MLP step, {world} rank(s)"] = _times(step, 20)
    if rank == 0:
        queue.put(results)
    dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_torch(world):
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    port = _free_port()
    procs = [ctx.Process(target=torch_rank_job, args=(r, world, port, queue)) for r in range(world)]
    for p in procs:
        p.start()
    results = queue.get(timeout=600)
    for p in procs:
        p.join(60)
    return results


def run_plait(world):
    out = subprocess.run([sys.executable, "-m", "plait.distributed.run", "--nproc-per-node", str(world), __file__,
                          "--rank-job"], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    if out.returncode:
        raise RuntimeError(out.stdout + out.stderr)
    return eval(out.stdout.strip().splitlines()[-1])  # the dict rank 0 printed


def main():
    plait_results, torch_results = {}, {}
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    for world in (1, 2):
        plait_results.update(run_plait(world))
        if have_torch:
            torch_results.update(run_torch(world))
    for name, seconds in plait_results.items():
        line = f"{name:<28} plait {seconds * 1e3:9.2f} ms"
        if name in torch_results:
            line += f"  torch gloo {torch_results[name] * 1e3:9.2f} ms ({seconds / torch_results[name]:4.2f}x)"
        print(line, flush=True)


if __name__ == "__main__":
    if "--rank-job" in sys.argv:
        plait_rank_job()
    else:
        main()
