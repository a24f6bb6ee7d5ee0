"""Every layer class of plait.nn; each file (named as torch's ``torch.nn.modules.<file>``) lists its public
names in ``__all__``."""
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
from .pixelshuffle import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .channelshuffle import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from . import (module, container, linear, activation, loss, flatten, conv, pooling, normalization, dropout, sparse,
               upsampling, pixelshuffle, padding, instancenorm, distance, channelshuffle, fold, transformer, rnn)
from . import lazy  # noqa: F401 - LazyModuleMixin lives in plait.nn.modules.lazy only, as in torch

__all__ = [name for m in (module, container, linear, activation, loss, flatten, conv, pooling, normalization, dropout,
                          sparse, upsampling, pixelshuffle, padding, instancenorm, distance, channelshuffle, fold,
                          transformer, rnn) for name in m.__all__]
