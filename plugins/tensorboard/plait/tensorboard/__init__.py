"""TensorBoard logging for plait: ``plait.tensorboard.SummaryWriter`` is torch.utils.tensorboard's writer."""
from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
