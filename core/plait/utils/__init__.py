"""Utilities with torch.utils' names: :mod:`plait.utils.data` (datasets, samplers, DataLoader)."""
from . import data  # noqa: F401
