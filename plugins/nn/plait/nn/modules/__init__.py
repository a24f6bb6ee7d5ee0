"""Every layer class of plait.nn; each file lists its public names in ``__all__``."""
from .module import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from . import (module, container, linear, activation, loss, flatten, conv, pooling, normalization, dropout, sparse,
               upsampling)
from . import lazy  # noqa: F401 - LazyModuleMixin lives in plait.nn.modules.lazy only, as in torch

__all__ = [name for m in (module, container, linear, activation, loss, flatten, conv, pooling, normalization,
                          dropout, sparse, upsampling) for name in m.__all__]
