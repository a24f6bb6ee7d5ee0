"""plait.nn.parallel: running one module over several accelerator devices (torch.nn.parallel)."""
from .data_parallel import DataParallel, data_parallel
from .scatter_gather import gather, scatter, scatter_kwargs
from .replicate import replicate
from .parallel_apply import parallel_apply

__all__ = ["DataParallel", "data_parallel", "gather", "scatter", "scatter_kwargs", "replicate", "parallel_apply"]
