"""DataParallel (torch.nn.DataParallel): one module, the batch split across the accelerator's devices."""
from itertools import chain

import plait

from ..modules.module import Module
from .parallel_apply import parallel_apply
from .replicate import replicate
from .scatter_gather import gather, scatter_kwargs

__all__ = ["DataParallel", "data_parallel"]


def _device_id(dev, accelerator_type):
    """torch's reading of a device id: an int as it is, ``'cuda:1'`` / a device by its index (without one:
    the current device); a CPU device is refused."""
    if isinstance(dev, int) and not isinstance(dev, bool):
        return dev
    dev = plait.device(dev)
    if dev.type == "cpu":
        raise ValueError(f"Expected a non cpu device, but got: {dev}")
    if dev.type != accelerator_type:
        raise ValueError(f"{dev.type} doesn't match the current accelerator {accelerator_type}.")
    return plait.accelerator.current_device_index() if dev.index is None else dev.index


def _resolve(device_ids, output_device, accelerator_type):
    if device_ids is None:
        device_ids = list(range(plait.accelerator.device_count()))
    if output_device is None:
        output_device = device_ids[0]
    device_ids = [_device_id(d, accelerator_type) for d in device_ids]
    output_device = _device_id(output_device, accelerator_type)
    count = plait.accelerator.device_count()
    for index in device_ids:
        if not 0 <= index < count:  # torch asks the device's properties, which asserts this
            raise AssertionError("Invalid device id")
    return device_ids, output_device


def _check_on_source(module, source):
    for t in chain(module.parameters(), module.buffers()):
        if t.device != source:
            raise RuntimeError(f"module must have its parameters and buffers on device {source} (device_ids[0]) but "
                               f"found one of them on device: {t.device}")


def _run(parallel, module, inputs, kwargs, device_ids, output_device):
    """Scatter, replicate, apply and gather through ``parallel``'s four methods (a DataParallel, which a
    subclass may override, or the free functions for :func:`data_parallel`)."""
    inputs, module_kwargs = parallel.scatter(inputs, kwargs, device_ids)
    if not inputs and not module_kwargs:  # a module called without arguments still runs once
        inputs, module_kwargs = ((),), ({},)
    if len(device_ids) == 1:
        return module(*inputs[0], **module_kwargs[0])
    replicas = parallel.replicate(module, device_ids[:len(inputs)])
    outputs = parallel.parallel_apply(replicas, inputs, module_kwargs)
    return parallel.gather(outputs, output_device)


class _Steps:
    """The four steps over fixed ``device_ids`` and ``dim``: data_parallel's, and DataParallel's methods."""

    def __init__(self, device_ids, dim):
        self.device_ids = device_ids
        self.dim = dim

    def scatter(self, inputs, kwargs, device_ids):
        return scatter_kwargs(inputs, kwargs, device_ids, dim=self.dim)

    def replicate(self, module, device_ids):
        return replicate(module, device_ids, not plait.is_grad_enabled())

    def parallel_apply(self, replicas, inputs, kwargs):
        return parallel_apply(replicas, inputs, kwargs, self.device_ids[:len(replicas)])

    def gather(self, outputs, output_device):
        return gather(outputs, output_device, dim=self.dim)


class DataParallel(Module):
    """Runs ``module`` on slices of the batch (``dim``) on each of ``device_ids`` (default: every device of
    the accelerator, ``plait.accelerator``) and joins the results on ``output_device`` (default
    ``device_ids[0]``; -1 is the CPU). The module's parameters must be on ``device_ids[0]`` (with one
    device it is moved there); the other devices get differentiable copies for each call, so gradients
    reach the original parameters.

    Without an accelerator it runs ``module`` unchanged and, as torch, ignores ``device_ids``,
    ``output_device`` and ``dim`` (``device_ids`` is then ``[]``)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        accelerator = plait.accelerator.current_accelerator(check_available=True)
        if accelerator is None:
            self.module = module
            self.device_ids = []
            return
        self.dim = dim
        self.module = module
        self.device_ids, self.output_device = _resolve(device_ids, output_device, accelerator.type)
        self.src_device_obj = plait.device(accelerator.type, self.device_ids[0])
        if len(self.device_ids) == 1:
            self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        _check_on_source(self.module, self.src_device_obj)
        return _run(self, self.module, inputs, kwargs, self.device_ids, self.output_device)

    scatter = _Steps.scatter
    replicate = _Steps.replicate
    parallel_apply = _Steps.parallel_apply
    gather = _Steps.gather


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """The functional form of :class:`DataParallel`: one call of ``module`` on ``inputs`` (a tensor or a
    tuple of positional arguments) split across ``device_ids``. Needs an accelerator."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    accelerator = plait.accelerator.current_accelerator(check_available=True)
    if accelerator is None:
        raise RuntimeError("device type could not be determined")
    device_ids, output_device = _resolve(device_ids, output_device, accelerator.type)
    _check_on_source(module, plait.device(accelerator.type, device_ids[0]))
    return _run(_Steps(device_ids, dim), module, inputs, module_kwargs or {}, device_ids, output_device)
