"""plait.nn.functional: the stateless counterparts of every layer (PyTorch's torch.nn.functional)."""
from ._functional_basic import *  # noqa: F401,F403
from ._functional_conv import *  # noqa: F401,F403
from ._functional_basic import __all__ as _basic_all
from ._functional_conv import __all__ as _conv_all

__all__ = [*_basic_all, *_conv_all]
from ._functional_conv3d import *  # noqa: F401,F403,E402
from ._functional_conv3d import __all__ as _conv3d_all  # noqa: E402

__all__ += _conv3d_all
from ._functional_pool import *  # noqa: F401,F403,E402
from ._functional_pool import __all__ as _pool_all  # noqa: E402

__all__ += _pool_all
from ._functional_sparse import *  # noqa: F401,F403,E402
from ._functional_sparse import __all__ as _sparse_all  # noqa: E402

__all__ += _sparse_all
