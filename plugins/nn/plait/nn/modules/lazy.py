"""Lazy modules: layers that learn their input size from the first forward (torch.nn.modules.lazy)."""
import itertools

import plait

from ..parameter import is_lazy

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """A mixin for modules whose parameters' shapes depend on their first input.

    Until the first forward the module holds ``UninitializedParameter``/``UninitializedBuffer`` objects; a
    forward pre-hook then calls ``initialize_parameters(*args, **kwargs)``, which materialises them (the
    same objects, so an optimizer built before holds the initialised parameters) and resets them with the
    layer's default initialisation, and the module's class becomes ``cls_to_become`` (``LazyLinear`` ->
    ``Linear``). Loading a state dict into a lazy module materialises its parameters with the checkpoint's
    shapes; the module stays lazy until it runs. A lazy class lists this mixin first:
    ``class LazyLinear(LazyModuleMixin, Linear)``.
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self.register_load_state_dict_pre_hook(_materialize_from_state_dict)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters, with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # an uninitialized tensor goes into the state dict as itself (it cannot be detached)
        super()._save_to_state_dict(destination, prefix, True)
        if not keep_vars:
            for name, tensor in itertools.chain(self._parameters.items(), self._buffers.items()):
                key = prefix + name
                if tensor is not None and key in destination and not is_lazy(tensor):
                    destination[key] = tensor.detach()

    def initialize_parameters(self, *args, **kwargs):
        """Materialise the parameters from the first input; each lazy layer defines it."""
        raise NotImplementedError(f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self):
        """Whether the module still has uninitialized parameters or buffers."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values()))


def _materialize_from_state_dict(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                 error_msgs):
    """Give each uninitialized tensor the shape of its checkpoint entry, so that loading copies into it."""
    for name, tensor in itertools.chain(module._parameters.items(), module._buffers.items()):
        key = prefix + name
        if tensor is not None and key in state_dict and is_lazy(tensor) and not is_lazy(state_dict[key]):
            with plait.no_grad():
                tensor.materialize(state_dict[key].shape)


def _infer_parameters(module, args, kwargs=None):
    """The first forward's pre-hook: initialise from the input, then become the non-lazy class."""
    module.initialize_parameters(*args, **(kwargs or {}))
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    module._load_hook.remove()
    del module._initialize_hook
    del module._load_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become
