"""Datasets, samplers and DataLoader with torch.utils.data's names.

>>> from plait.utils.data import TensorDataset, DataLoader, random_split
>>> train, test = random_split(TensorDataset(x, y), [0.8, 0.2], generator=plait.Generator().manual_seed(0))
>>> for xb, yb in DataLoader(train, batch_size=64, shuffle=True):
...     ...
"""
from ._collate import default_collate, default_convert
from ._generator import Generator
from .dataloader import DataLoader, get_worker_info
from .distributed import DistributedSampler
from .dataset import ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler", "Generator", "IterableDataset",
           "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
           "WeightedRandomSampler", "default_collate", "default_convert", "get_worker_info", "random_split"]
