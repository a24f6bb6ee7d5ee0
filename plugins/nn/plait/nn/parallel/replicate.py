"""Copies of a module on other devices (torch.nn.parallel.replicate)."""
from ._devices import as_device


def replicate(network, devices, detach=False):
    """One module per device in ``devices``: the first is ``network`` itself (its parameters must already be
    there, so in-place changes such as BatchNorm's running statistics persist, as in torch); the others are
    shallow copies of every submodule whose parameters are ``param.to(device)`` — differentiable copies,
    so their gradients accumulate into the original parameters — and whose buffers are detached copies.
    With ``detach=True`` the parameter copies are detached as well."""
    replicas = [network]
    for dev in map(as_device, devices[1:]):
        replicas.append(_copy_to(network, dev, detach, {}))
    return replicas


def _copy_to(module, dev, detach, memo):
    if id(module) in memo:  # a submodule used twice stays shared in the copy
        return memo[id(module)]
    replica = module.__class__.__new__(module.__class__)
    memo[id(module)] = replica
    state = replica.__dict__
    state.update(module.__dict__)

    def moved(t):
        return None if t is None else (t.detach() if detach else t).to(dev)

    state["_parameters"] = {name: moved(p) for name, p in module._parameters.items()}
    state["_buffers"] = {name: None if b is None else b.detach().to(dev) for name, b in module._buffers.items()}
    state["_modules"] = {name: None if m is None else _copy_to(m, dev, detach, memo)
                         for name, m in module._modules.items()}
    return replica
