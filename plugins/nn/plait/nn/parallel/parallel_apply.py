"""Running each replica on its own inputs (torch.nn.parallel.parallel_apply)."""
import plait

from ._devices import as_device


def parallel_apply(modules, inputs, kwargs_tup=None, devices=None):
    """``modules[i](*inputs[i], **kwargs_tup[i])`` with ``devices[i]`` (default: each module's first
    parameter's device) made the accelerator's current device, so tensors a forward creates without
    ``device=`` land next to its inputs.

    Unlike torch, which runs the replicas in parallel threads, plait runs them one after the other: the
    autograd graph is not thread-safe, and GPU backends queue kernels asynchronously, so the devices still
    overlap their work."""
    if len(modules) != len(inputs):
        raise AssertionError(f"The number of modules {len(modules)} is not equal to the number of inputs "
                             f"{len(inputs)}")
    kwargs_tup = tuple(kwargs_tup) if kwargs_tup is not None else ({},) * len(modules)
    if devices is None:
        devices = [next(iter(m.parameters()), plait.zeros(0)).device for m in modules]
    outputs = []
    for module, args, kwargs, dev in zip(modules, inputs, kwargs_tup, devices):
        if not isinstance(args, (list, tuple)):
            args = (args,)
        with plait.accelerator.device_index(as_device(dev).index):
            outputs.append(module(*args, **kwargs))
    return outputs
