"""The few dense linear-algebra routines the orthogonal parametrization needs, built from plait Tensor ops
(plait's core has no LAPACK-style kernels): Householder QR in LAPACK's geqrf layout, the product of its
reflectors, the matrix exponential and a linear solve. All work on batches of matrices (..., n, k) with one
Python loop over columns, and all are differentiable through autograd."""
import math

import plait


def _eye_like(a, n, k=None):
    return plait.eye(n, k if k is not None else n, dtype=a.dtype, device=a.device)


def _unit(a, n, j):
    """The j-th standard basis vector of length n, as an (n, 1) column."""
    return (plait.arange(n, device=a.device) == j).to(a.dtype).reshape(n, 1)


def geqrf(a):
    """Householder QR of (..., n, k) with n >= k, as LAPACK's geqrf: R on and above the diagonal, each
    reflector's vector (its leading 1 implied) below it, and the reflectors' scales ``tau`` (..., k)."""
    n, k = a.shape[-2], a.shape[-1]
    rows = plait.arange(n, device=a.device).reshape(n, 1)
    r = a
    vectors, taus = [], []
    for j in range(k):
        column = r[..., :, j:j + 1]
        below = rows > j
        alpha = column[..., j:j + 1, :]
        tail = plait.where(below, column, column.new_zeros(()))
        tail_norm = (tail * tail).sum(-2, keepdim=True).sqrt()
        reflect = tail_norm > 0  # else the column is already reduced: no reflection (tau = 0)
        norm = (alpha * alpha + tail_norm * tail_norm).sqrt()
        beta = plait.where(alpha >= 0, -norm, norm)
        safe_beta = plait.where(reflect, beta, plait.ones_like(beta))
        safe_gap = plait.where(reflect, alpha - beta, plait.ones_like(beta))
        tau = plait.where(reflect, (beta - alpha) / safe_beta, beta.new_zeros(()))
        v = plait.where(reflect, tail / safe_gap, tail.new_zeros(())) + _unit(a, n, j)
        r = r - tau * v * (v.mT @ r)
        vectors.append(v)
        taus.append(tau.reshape(*a.shape[:-2], 1))
    packed = r.triu() + plait.cat(vectors, -1).tril(-1)
    return packed, plait.cat(taus, -1)


def householder_product(a, tau):
    """The first k columns of H_1 H_2 ... H_k, H_j = I - tau_j v_j v_j^T with v_j column j of ``a`` below
    the diagonal and 1 on it (torch.linalg.householder_product)."""
    n, k = a.shape[-2], a.shape[-1]
    vectors = a.tril(-1) + _eye_like(a, n, k)
    q = _eye_like(a, n, k).expand(*a.shape[:-2], n, k)
    for j in range(tau.shape[-1] - 1, -1, -1):
        v = vectors[..., :, j:j + 1]
        q = q - tau[..., j:j + 1].unsqueeze(-1) * v * (v.mT @ q)
    return q


_TAYLOR_DEGREE = 18  # with the scaled matrix's norm <= 1/2, the truncation error is below 1e-22


def matrix_exp(a):
    """exp of square (..., n, n) matrices by scaling and squaring: a Taylor polynomial of a / 2^s,
    squared s times, with s chosen from the largest row-sum norm in the batch (one host sync)."""
    n = a.shape[-1]
    norm = float(a.abs().sum(-1).max().item()) if a.numel() else 0.0
    squarings = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    scaled = a / (2.0 ** squarings)
    eye = _eye_like(a, n)
    result = eye + scaled / _TAYLOR_DEGREE
    for degree in range(_TAYLOR_DEGREE - 1, 0, -1):  # Horner: I + X (I + X/2 (I + X/3 ...))
        result = eye + (scaled @ result) / degree
    for _ in range(squarings):
        result = result @ result
    return result


def solve(a, b):
    """a^-1 b for (..., n, n) ``a`` and (..., n, m) ``b`` by Gauss-Jordan elimination without pivoting.

    Only for matrices whose symmetric part is positive definite, such as I - A/2 with A skew-symmetric
    (the Cayley map's): their elimination never meets a zero pivot and stays stable without row swaps.
    """
    n = a.shape[-1]
    for i in range(n):
        pivot = a[..., i:i + 1, i:i + 1]
        row_a = a[..., i:i + 1, :] / pivot
        row_b = b[..., i:i + 1, :] / pivot
        # row i becomes the pivot row, every other row r loses a[r, i] times it
        factor = a[..., :, i:i + 1] - _unit(a, n, i)
        a = a - factor * row_a
        b = b - factor * row_b
    return b
