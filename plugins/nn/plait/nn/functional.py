"""plait.nn.functional: the stateless counterparts of every layer (PyTorch's torch.nn.functional)."""
from ._functional_basic import *  # noqa: F401,F403
from ._functional_conv import *  # noqa: F401,F403
from ._functional_conv3d import *  # noqa: F401,F403
from ._functional_pool import *  # noqa: F401,F403
from ._functional_sparse import *  # noqa: F401,F403
from ._functional_layers import *  # noqa: F401,F403
from ._functional_loss import *  # noqa: F401,F403
from ._functional_attention import *  # noqa: F401,F403
from . import (_functional_basic, _functional_conv, _functional_conv3d, _functional_pool, _functional_sparse,
               _functional_layers, _functional_loss, _functional_attention)

__all__ = [name for m in (_functional_basic, _functional_conv, _functional_conv3d, _functional_pool, _functional_sparse,
                          _functional_layers, _functional_loss, _functional_attention) for name in m.__all__]
