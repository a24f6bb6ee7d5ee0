"""DistributedDataParallel: data-parallel training across the ranks of a plait.distributed job
(torch.nn.parallel.DistributedDataParallel)."""
import contextlib

import plait
import plait.distributed as dist
from plait.autograd import engine

from ..modules.module import Module

_FIRST_BUCKET_BYTES = 1 << 20  # torch's first bucket is small so that its reduction starts early


class _Bucket:
    """Parameters whose gradients are reduced together: one flat tensor, one asynchronous all-reduce."""

    def __init__(self, params):
        self.params = params
        self.offsets = []
        at = 0
        for p in params:
            self.offsets.append(at)
            at += p.numel()
        self.flat = plait.zeros(at, dtype=params[0].dtype, device=params[0].device)
        self.pending = len(params)
        self.work = None


class DistributedDataParallel(Module):
    """Wraps ``module`` so that a backward pass averages every parameter's gradient over the ranks.

    At construction the parameters and buffers of rank 0 are broadcast to every rank. Gradients are
    grouped into buckets of about ``bucket_cap_mb`` MiB (reverse parameter order, the first one 1 MiB,
    as torch); a bucket's all-reduce starts, asynchronously, as soon as its last gradient has been
    accumulated, buckets in the same order on every rank, and the end of backward waits for them (an
    engine callback) and writes the averaged gradients back. ``no_sync()`` skips the reduction so
    gradients accumulate locally; the next synchronised backward reduces the sum.
    ``broadcast_buffers`` re-broadcasts rank 0's buffers before each forward. ``find_unused_parameters``
    walks the output's graph after forward and counts parameters it does not reach as ready (zeros);
    without it, a parameter that gets no gradient raises torch's error at the next forward.
    ``gradient_as_bucket_view`` leaves each ``.grad`` a view into its bucket after a synchronised
    backward (no second copy). ``static_graph`` is torch's optimisation hint; plait's reducer needs none,
    and results are the same. ``device_ids``/``output_device`` may name only the module's own device.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None):
        super().__init__()
        for name, value in (("delay_all_reduce_named_params", delay_all_reduce_named_params),
                            ("param_to_hook_all_reduce", param_to_hook_all_reduce),
                            ("mixed_precision", mixed_precision), ("device_mesh", device_mesh)):
            if value is not None:
                raise ValueError(f"DistributedDataParallel: {name} is not supported by plait")
        if check_reduction:
            raise ValueError("DistributedDataParallel: check_reduction was removed from torch; leave it False")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        devices = {p.device for p in module.parameters()}
        if device_ids is not None:
            if len(device_ids) != 1 or len(devices) != 1 or \
                    plait.device(device_ids[0] if not isinstance(device_ids[0], int) else
                                 f"cuda:{device_ids[0]}") not in devices:
                raise ValueError(f"DistributedDataParallel device_ids and output_device arguments only work with "
                                 f"single-device modules, but got device_ids {device_ids}, output_device "
                                 f"{output_device}, and module parameters {devices}.")
        self.module = module
        self.process_group = dist._group(process_group)
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * (1 << 20))
        self.require_backward_grad_sync = True
        self._params = params
        self._index = {id(p): i for i, p in enumerate(params)}  # (list.index would compare tensors with ==)
        self._src = self.process_group.ranks[0]
        self._sync_module_states()
        self._buckets, self._bucket_of = self._make_buckets(params)
        self._next_bucket = 0
        self._armed = False           # a forward ran with sync on: its backward reduces
        self._callback_queued = False
        self._ready = set()           # ids of the parameters whose gradient is in its bucket
        self._used = None             # find_unused_parameters: which parameters the last forward reached
        self._unreduced = None        # indices of parameters that got no gradient: torch's error next forward
        self._hooks = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in params]

    # ------------------------------------------------------------------ setup
    def _sync_module_states(self):
        with plait.no_grad():
            for t in [*self.module.parameters(), *self.module.buffers()]:
                dist.broadcast(t, self._src, group=self.process_group)

    def _make_buckets(self, params):
        buckets, current, size = [], [], 0
        cap = min(_FIRST_BUCKET_BYTES, self.bucket_bytes_cap)
        for p in reversed(params):
            nbytes = p.numel() * p.element_size()
            if current and (size + nbytes > cap or p.dtype is not current[0].dtype or p.device != current[0].device):
                buckets.append(_Bucket(current))
                current, size, cap = [], 0, self.bucket_bytes_cap
            current.append(p)
            size += nbytes
        if current:
            buckets.append(_Bucket(current))
        bucket_of = {}
        for b in buckets:
            for i, p in enumerate(b.params):
                bucket_of[id(p)] = (b, i)
        return buckets, bucket_of

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        if self._unreduced:
            missing, self._unreduced = self._unreduced, None
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`plait.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
                "participate in calculating loss.\nParameter indices which did not receive grad for rank "
                f"{dist.get_rank()}: {' '.join(map(str, missing))}")
        if self.broadcast_buffers:
            with plait.no_grad():
                for b in self.module.buffers():
                    dist.broadcast(b, self._src, group=self.process_group)
        output = self.module(*inputs, **kwargs)
        if plait.is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_for_backward(output)
        return output

    def _prepare_for_backward(self, output):
        for b in self._buckets:
            b.pending = len(b.params)
            b.work = None
        self._next_bucket = 0
        self._armed = True
        self._ready = set()
        self._used = None
        if self.find_unused_parameters:
            reached = _parameters_reached(output)
            self._used = [id(p) in reached for p in self._params]
            with plait.no_grad():
                for p, used in zip(self._params, self._used):
                    if not used:
                        bucket, i = self._bucket_of[id(p)]
                        self._slot(bucket, i).zero_()
                        self._mark_ready(p, bucket)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward passes accumulate gradients locally without reducing them."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # ------------------------------------------------------------------ backward: the reducer
    @staticmethod
    def _slot(bucket, i):
        p = bucket.params[i]
        return bucket.flat[bucket.offsets[i]:bucket.offsets[i] + p.numel()]

    def _grad_ready(self, p):
        if not self._armed or not self.require_backward_grad_sync or id(p) in self._ready:
            return
        if not self._callback_queued:
            engine.queue_callback(self._finish_backward)
            self._callback_queued = True
        bucket, i = self._bucket_of[id(p)]
        with plait.no_grad():
            self._slot(bucket, i).copy_(p.grad.reshape(-1))
        self._mark_ready(p, bucket)

    def _mark_ready(self, p, bucket):
        """Count ``p`` in; launch, in bucket order, every bucket that is now complete."""
        self._ready.add(id(p))
        bucket.pending -= 1
        while self._next_bucket < len(self._buckets) and self._buckets[self._next_bucket].pending == 0:
            b = self._buckets[self._next_bucket]
            b.work = dist.all_reduce(b.flat, group=self.process_group, async_op=True)
            self._next_bucket += 1

    def _finish_backward(self):
        self._callback_queued = False
        self._armed = False
        missing = [i for i, p in enumerate(self._params) if id(p) not in self._ready]
        if missing:
            self._unreduced = missing
        globally_used = None
        if self._used is not None:
            flags = plait.tensor([1 if u else 0 for u in self._used], dtype=plait.uint8)
            dist.all_reduce(flags, op=dist.ReduceOp.MAX, group=self.process_group)
            globally_used = flags.tolist()
        world = self.process_group.size()
        with plait.no_grad():
            for b in self._buckets:
                if b.work is None:
                    continue
                b.work.wait()
                b.flat.div_(world)
                for i, p in enumerate(b.params):
                    if globally_used is not None and not globally_used[self._index[id(p)]]:
                        continue
                    averaged = self._slot(b, i).view(p.shape)
                    if self.gradient_as_bucket_view:
                        p.grad = averaged
                    elif p.grad is None:
                        p.grad = averaged.clone()
                    else:
                        p.grad.copy_(averaged)


def _parameters_reached(output):
    """ids of the leaf tensors that the autograd graph of ``output`` (tensors in any nesting) reaches."""
    reached, nodes, stack = set(), [], [output]
    while stack:
        obj = stack.pop()
        if isinstance(obj, plait.Tensor):
            if obj.grad_fn is not None:
                nodes.append(obj.grad_fn)
            elif obj.requires_grad:
                reached.add(id(obj))
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
    seen = set()
    while nodes:
        node = nodes.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:
            reached.add(id(variable))
        nodes.extend(n for n, _ in node.next_functions if n is not None)
    return reached
