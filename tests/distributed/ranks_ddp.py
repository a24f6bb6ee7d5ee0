"""Run on every rank by test_ddp.py: DistributedDataParallel training matches one process training on the
full batches; no_sync accumulation; unused parameters; buffers and parameters synchronised from rank 0."""
import copy
import sys

import plait
import plait.distributed as dist
import plait.nn as nn
import plait.optim as optim
from plait.utils.data import DataLoader, DistributedSampler, TensorDataset

DTYPE = {"float64": plait.float64, "float32": plait.float32}[sys.argv[1]]
TOL = 1e-6 if DTYPE is plait.float64 else 1e-5


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = nn.functional.max_pool2d(self.bn(self.conv(x)).relu(), 2)
        return self.fc(x.flatten(1))


def close(a, b):
    return float((a - b).abs().max()) <= TOL


def main():
    dist.init_process_group("gloo")  # the name CPU torch programs use; MPI serves it
    rank, size = dist.get_rank(), dist.get_world_size()
    plait.manual_seed(100 + rank)  # different initial weights per rank: DDP must broadcast rank 0's
    model = SmallCNN().to(DTYPE)
    ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=0.0005)  # several small buckets
    gathered = [None] * size
    dist.all_gather_object(gathered, [p.tolist() for p in model.parameters()])
    assert all(g == gathered[0] for g in gathered), "parameters differ after construction"
    assert list(ddp.state_dict())[0].startswith("module."), list(ddp.state_dict())[:2]
    assert len(ddp._buckets) > 1

    # the same data on every rank (seeded), split by DistributedSampler
    g = plait.Generator().manual_seed(0)
    x = plait.randn(24, 1, 8, 8, generator=g).to(DTYPE)
    y = plait.randint(0, 3, (24,), generator=g)
    data = TensorDataset(x, y)
    reference = copy.deepcopy(model)  # rank 0's weights, now on every rank
    ref_opt = optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    opt = optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    sampler = DistributedSampler(data, shuffle=True, seed=3)
    per_rank = 4
    loader = DataLoader(data, batch_size=per_rank, sampler=sampler)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(2):
        sampler.set_epoch(epoch)
        # the full batches one process would see: the union of every rank's batch, in rank order
        orders = []
        for r in range(size):
            s = DistributedSampler(data, num_replicas=size, rank=r, shuffle=True, seed=3)
            s.set_epoch(epoch)
            orders.append(list(s))
        for step, (xb, yb) in enumerate(loader):
            opt.zero_grad()
            loss_fn(ddp(xb), yb).backward()
            opt.step()
            ref_opt.zero_grad()
            # mean over ranks of each rank's mean loss = the full-batch mean when batches are equal
            sum(loss_fn(reference(x[plait.tensor(orders[r][step * per_rank:(step + 1) * per_rank])]),
                        y[plait.tensor(orders[r][step * per_rank:(step + 1) * per_rank])])
                for r in range(size)).div(size).backward()
            ref_opt.step()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        assert close(p, q), f"rank {rank}: {name} differs from one-process training by {float((p - q).abs().max())}"

    # no_sync: two local accumulations then a synchronised one equal the summed full-batch gradients
    micro = [plait.arange(k * size * 2, (k + 1) * size * 2) for k in range(3)]
    ddp.zero_grad()
    reference.load_state_dict(model.state_dict())
    reference.zero_grad()
    with ddp.no_sync():
        for k in range(2):
            mine = micro[k][rank * 2:(rank + 1) * 2]
            loss_fn(ddp(x[mine]), y[mine]).backward()
    mine = micro[2][rank * 2:(rank + 1) * 2]
    loss_fn(ddp(x[mine]), y[mine]).backward()
    for k in range(3):
        for r in range(size):
            part = micro[k][r * 2:(r + 1) * 2]
            (loss_fn(reference(x[part]), y[part]) / size).backward()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        assert close(p.grad, q.grad), f"rank {rank}: no_sync gradient of {name} differs"

    # gradient_as_bucket_view: the averaged gradients are views into the buckets
    view_ddp = nn.parallel.DistributedDataParallel(SmallCNN().to(DTYPE), gradient_as_bucket_view=True)
    loss_fn(view_ddp(x[:4]), y[:4]).backward()
    bucket = view_ddp._buckets[0]
    first = bucket.params[0]
    bucket.flat[0] = 12345.0
    assert first.grad.reshape(-1)[0].item() == 12345.0

    # unused parameters: found when asked (their grads stay None), torch's error when not
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = nn.Linear(3, 2), nn.Linear(3, 2)

        def forward(self, t):
            return self.used(t)

    ok = nn.parallel.DistributedDataParallel(Branchy().to(DTYPE), find_unused_parameters=True)
    ok(plait.ones(2, 3, dtype=DTYPE)).sum().backward()
    assert ok.module.unused.weight.grad is None and ok.module.used.weight.grad is not None
    strict = nn.parallel.DistributedDataParallel(Branchy().to(DTYPE))
    strict(plait.ones(2, 3, dtype=DTYPE)).sum().backward()
    try:
        strict(plait.ones(2, 3, dtype=DTYPE))
    except RuntimeError as err:
        assert "Expected to have finished reduction in the prior iteration" in str(err), err
        assert "find_unused_parameters=True" in str(err) and "did not receive grad for rank" in str(err)
    else:
        raise AssertionError("a parameter without gradient went unnoticed")
    dist.barrier()
    print(f"rank {rank} of {size}: DDP {sys.argv[1]} OK", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
