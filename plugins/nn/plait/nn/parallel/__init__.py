"""plait.nn.parallel: one module over several accelerator devices (DataParallel) or over the ranks of a
plait.distributed job (DistributedDataParallel), as torch.nn.parallel."""
from .data_parallel import DataParallel, data_parallel
from .scatter_gather import gather, scatter, scatter_kwargs
from .replicate import replicate
from .parallel_apply import parallel_apply
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel", "gather", "scatter", "scatter_kwargs", "replicate",
           "parallel_apply"]
