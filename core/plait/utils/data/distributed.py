"""DistributedSampler: each rank of a data-parallel job reads its own share of a dataset
(torch.utils.data.distributed.DistributedSampler)."""
import math

from ._generator import Generator
from .sampler import Sampler


class DistributedSampler(Sampler):
    """Indices ``rank, rank + num_replicas, ...`` of one (shuffled) order that every rank computes alike.

    ``shuffle`` permutes with a generator seeded by ``seed + epoch`` (call :meth:`set_epoch` before each
    epoch for a new order); unless ``drop_last``, the order is padded by repeating its start so every
    rank gets ``ceil(len / num_replicas)`` indices, as torch does; with ``drop_last`` the tail is cut.
    ``num_replicas`` and ``rank`` default to the default process group's.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_initialized():
                raise RuntimeError("Requires distributed package to be available: call "
                                   "plait.distributed.init_process_group first, or pass num_replicas and rank")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        indices = Generator().manual_seed(self.seed + self.epoch)._randperm(n) if self.shuffle else list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use a new shuffle order, the same on every rank, for the coming epoch."""
        self.epoch = epoch
