"""Attention (torch.nn.functional.scaled_dot_product_attention and multi_head_attention_forward).

Both are composed from plait Tensor ops (batched matmuls, one softmax node, the shared dropout), so they run
on every backend and autograd derives their backward passes. torch's two mask conventions differ and are
kept: in ``scaled_dot_product_attention`` a boolean mask marks the positions that *take part*; in
``multi_head_attention_forward`` (and the modules above it) a boolean mask marks the positions to *leave
out*. A float mask is added to the attention scores in both.
"""
import math
import warnings

import plait
from plait._dtype import CPP_NAMES  # torch's C++ type names, for its messages

from ._functional_basic import linear
from ._functional_conv import dropout, pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


class _MaskedSoftmax(plait.autograd.Function):
    """Softmax over the last dim in which a row whose scores are all -inf (every key masked) comes out as
    zeros, not NaN: torch's ``_safe_softmax``, which its attention uses. One node; the backward
    ``y * (g - sum(g * y))`` is written with tensor ops, so higher-order gradients stay exact, and it is
    zero on such rows."""

    @staticmethod
    def forward(ctx, scores):
        row_max = scores.amax(-1, keepdim=True)
        # a fully masked row keeps its -inf scores: shifting by 0 makes every exp() exactly 0
        row_max = row_max.masked_fill(row_max == float("-inf"), 0.0)
        e = (scores - row_max).exp()
        total = e.sum(-1, keepdim=True)
        out = e / total.masked_fill(total == 0, 1.0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return out * (grad - (grad * out).sum(-1, keepdim=True))


def _attend(query, key, value, mask, dropout_p, scale, zero_masked_rows):
    """(softmax(q k^T * scale + mask) v, the softmax) for (..., L, E) queries and (..., S, E) keys.

    ``mask`` is None, a boolean tensor (True = attend) or a float tensor added to the scores. With
    ``zero_masked_rows`` a query that may attend to no key gets zeros (scaled_dot_product_attention);
    without it, NaN (the weights path of multi_head_attention_forward), each as torch computes it.
    """
    scores = (query * scale if scale != 1.0 else query).matmul(key.transpose(-2, -1))
    if mask is not None:
        if mask.dtype == plait.bool:
            scores = scores.masked_fill(mask.logical_not(), float("-inf"))
        else:
            scores = scores + mask
    if mask is not None and zero_masked_rows:
        weights = _MaskedSoftmax.apply(scores)
    else:
        weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights.matmul(value), weights


def _batch_count(*shapes):
    """How many matrices a batched product of operands with these batch shapes multiplies (torch's messages
    name that count); raises torch's error where the batch shapes do not broadcast."""
    return math.prod(plait.broadcast_shapes(*shapes))


def _repeat_heads(query, key, value):
    """GQA: each key/value head serves ``query heads / key heads`` consecutive query heads."""
    q_heads, k_heads, v_heads = query.size(-3), key.size(-3), value.size(-3)
    if q_heads % k_heads or q_heads % v_heads:
        # torch's message ends here, mid-sentence, in 2.13
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
    if k_heads != q_heads:
        key = key.repeat_interleave(q_heads // k_heads, dim=-3)
    if v_heads != q_heads:
        value = value.repeat_interleave(q_heads // v_heads, dim=-3)
    return key, value


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(Q K^T * scale + mask) V over the last two dims; every leading dim broadcasts.

    ``attn_mask``: boolean (True = the query may attend to that key) or float (added to the scores), any shape
    that broadcasts to (..., L, S). ``is_causal``: query i attends to keys 0..i (aligned at the top left, as
    torch's for L != S); it excludes ``attn_mask``. ``scale`` defaults to 1/sqrt(E). ``dropout_p`` drops
    attention weights whenever it is positive (this function has no training flag, as in torch).
    ``enable_gqa``: key/value with fewer heads (dim -3) than the query are repeated to match. A query that
    may attend to no key gets zeros.
    """
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} instead.")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{CPP_NAMES[query.dtype]} key.dtype: {CPP_NAMES[key.dtype]} and value.dtype: "
                           f"{CPP_NAMES[value.dtype]} instead.")
    if attn_mask is not None and attn_mask.dtype not in (plait.bool, plait.float32, query.dtype):
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {CPP_NAMES[attn_mask.dtype]} and  query.dtype: "
                           f"{CPP_NAMES[query.dtype]} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa:
        key, value = _repeat_heads(query, key, value)
    length, source = query.size(-2), key.size(-2)
    batches = _batch_count(query.shape[:-2], key.shape[:-2])
    if key.size(-1) != query.size(-1):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batches}, {query.size(-1)}] but got: [{batches}, {key.size(-1)}].")
    batches = _batch_count(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    if value.size(-2) != source:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batches}, {source}] but got: [{batches}, {value.size(-2)}].")
    scale = 1.0 / math.sqrt(query.size(-1)) if scale is None else scale
    if is_causal:
        rows = plait.arange(length, device=query.device).reshape(length, 1)
        causal = rows >= plait.arange(source, device=query.device)
        # top-left aligned, so every query keeps key 0: no row is left empty and the plain softmax will do
        return _attend(query, key, value, causal, dropout_p, scale, zero_masked_rows=False)[0]
    if attn_mask is not None:
        plait.broadcast_shapes((*query.shape[:-1], source), attn_mask.shape)  # torch's message if it can't
    return _attend(query, key, value, attn_mask, dropout_p, scale, zero_masked_rows=True)[0]


# --------------------------------------------------------------------------------------------------
# multi-head attention
# --------------------------------------------------------------------------------------------------

def _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads):
    """torch's shape checks; returns whether the input is batched ((L, N, E) rather than (L, E))."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(f"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(f"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(f"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                         f"tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A boolean "leave out" mask as the float mask torch adds (-inf where True, 0 elsewhere); a float mask
    as it is. Shared with the Transformer modules, which convert their masks the same way."""
    if mask is None:
        return None
    if mask.dtype != plait.bool and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      f"instead.", stacklevel=3)
    if mask.dtype == plait.bool:
        return plait.zeros(mask.shape, dtype=target_type, device=mask.device).masked_fill(mask, float("-inf"))
    return mask


def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, plait.Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _packed_projection(query, key, value, weight, bias):
    """q, k, v through one (3E, E) weight; self-attention takes a single matrix product for all three."""
    embed_dim = query.size(-1)
    if key is value and query is key:
        proj = linear(query, weight, bias).unflatten(-1, (3, embed_dim))
        return proj.select(-2, 0), proj.select(-2, 1), proj.select(-2, 2)
    if key is value:  # attention over a memory: one product for its keys and values
        q = linear(query, weight[:embed_dim], None if bias is None else bias[:embed_dim])
        kv = linear(key, weight[embed_dim:], None if bias is None else bias[embed_dim:]).unflatten(-1, (2, embed_dim))
        return q, kv.select(-2, 0), kv.select(-2, 1)
    w_q, w_k, w_v = weight.chunk(3)
    b_q, b_k, b_v = (None, None, None) if bias is None else bias.chunk(3)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _separate_projection(query, key, value, w_q, w_k, w_v, bias):
    e_q, e_k, e_v = query.size(-1), key.size(-1), value.size(-1)
    for name, weight, expected in (("query", w_q, (e_q, e_q)), ("key", w_k, (e_q, e_k)), ("value", w_v, (e_q, e_v))):
        if tuple(weight.shape) != expected:
            raise AssertionError(f"expecting {name} weights shape of {expected}, but got {weight.shape}")
    b_q, b_k, b_v = (None, None, None) if bias is None else bias.chunk(3)
    for name, b in (("query", b_q), ("key", b_k), ("value", b_v)):
        if b is not None and tuple(b.shape) != (e_q,):
            raise AssertionError(f"expecting {name} bias shape of {(e_q,)}, but got {b.shape}")
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _static(tensor, name, batch, num_heads, head_dim):
    """A caller-given (N*H, S, D) key or value, as the (N, H, S, D) the heads are computed in."""
    if tensor.size(0) != batch * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch * num_heads}, but got {tensor.size(0)}")
    if tensor.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {tensor.size(2)}")
    return tensor.reshape(batch, num_heads, tensor.size(1), head_dim)


def _split_heads(x, num_heads, head_dim):
    """(S, N, E) -> (N, H, S, D)."""
    return x.unflatten(-1, (num_heads, head_dim)).permute(1, 2, 0, 3)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention of (L, N, E) queries over (S, N, E_k) keys and (S, N, E_v) values, or unbatched
    (L, E) / (S, E_k) / (S, E_v); returns (output, weights or None) as torch.nn.MultiheadAttention does.

    Boolean masks mark the positions to leave out; float masks are added. ``attn_mask`` is (L, S) or
    (N*H, L, S), ``key_padding_mask`` (N, S). ``is_causal`` is only a hint that ``attn_mask`` is causal: as in
    torch, it replaces the mask by a causal one where neither weights nor a key padding mask are asked for.
    Weights are (N, L, S) averaged over heads, or (N, H, L, S).
    """
    batched = _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
                                       query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint stands for the mask: attention computes the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _packed_projection(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, weight in (("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                             ("v_proj_weight", v_proj_weight)):
            if weight is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name} is None")
        q, k, v = _separate_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias)

    src_len = key.shape[0]
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        # one more key (and value) per sequence, which every query may attend to
        k = plait.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = plait.cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    q = _split_heads(q, num_heads, head_dim)
    k = _split_heads(k, num_heads, head_dim) if static_k is None else _static(static_k, "static_k", bsz, num_heads,
                                                                              head_dim)
    v = _split_heads(v, num_heads, head_dim) if static_v is None else _static(static_v, "static_v", bsz, num_heads,
                                                                              head_dim)
    if add_zero_attn:
        zeros = k.new_zeros((bsz, num_heads, 1, head_dim))
        k = plait.cat([k, zeros], dim=2)
        v = plait.cat([v, zeros], dim=2)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.size(2)

    # every mask as (1 or N, 1 or H, L or 1, S), the layout of the (N, H, L, S) scores
    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.size(0) == 1 else attn_mask.reshape(bsz, num_heads, tgt_len,
                                                                                               src_len)
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got {key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.reshape(bsz, 1, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        out, weights = _attend(q, k, v, attn_mask, dropout_p, 1.0 / math.sqrt(head_dim), zero_masked_rows=False)
    else:
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
        weights = None
    out = linear(out.permute(2, 0, 1, 3).reshape(tgt_len * bsz, embed_dim), out_proj_weight, out_proj_bias)
    out = out.reshape(tgt_len, bsz, out.size(1))
    if weights is not None and average_attn_weights:
        weights = weights.mean(dim=1)
    if not batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights
