"""Independent NumPy (float64) implementations of the optimizers' published update rules.

Each ``*_ref`` function takes the initial parameter array, a gradient function ``grad(theta)`` and the
number of steps, and returns the list of parameter arrays after each step (plus any state a test wants
to compare). They follow the algorithm boxes of the torch.optim documentation, written from the maths
rather than from plait's code, so the tests compare two separate derivations.
"""
import math

import numpy as np


def _prep(theta, g, weight_decay, maximize):
    g = -g if maximize else g
    return g + weight_decay * theta


def sgd_ref(theta, grad, steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
            maximize=False):
    theta = theta.copy()
    out, b = [], None
    for t in range(1, steps + 1):
        g = _prep(theta, grad(theta), weight_decay, maximize)
        if momentum != 0:
            b = g.copy() if t == 1 else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
        out.append(theta.copy())
    return out


def adam_ref(theta, grad, steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):
    beta1, beta2 = betas
    theta = theta.copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    v_max = np.zeros_like(theta)
    out = []
    for t in range(1, steps + 1):
        g = grad(theta)
        g = -g if maximize else g
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_used = v_max
        else:
            v_used = v
        theta = theta - lr * m_hat / (np.sqrt(v_used) / math.sqrt(1 - beta2 ** t) + eps)
        out.append(theta.copy())
    return out


def rmsprop_ref(theta, grad, steps, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False):
    theta = theta.copy()
    v = np.zeros_like(theta)
    g_avg = np.zeros_like(theta)
    b = np.zeros_like(theta)
    out = []
    for _ in range(steps):
        g = _prep(theta, grad(theta), weight_decay, maximize)
        v = alpha * v + (1 - alpha) * g * g
        v_tilde = v
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            v_tilde = v - g_avg * g_avg
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
        out.append(theta.copy())
    return out


def adagrad_ref(theta, grad, steps, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                eps=1e-10, maximize=False):
    theta = theta.copy()
    s = np.full_like(theta, initial_accumulator_value)
    out = []
    for t in range(1, steps + 1):
        g = _prep(theta, grad(theta), weight_decay, maximize)
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        theta = theta - lr_t * g / (np.sqrt(s) + eps)
        out.append(theta.copy())
    return out


def adadelta_ref(theta, grad, steps, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    theta = theta.copy()
    v = np.zeros_like(theta)
    u = np.zeros_like(theta)
    out = []
    for _ in range(steps):
        g = _prep(theta, grad(theta), weight_decay, maximize)
        v = rho * v + (1 - rho) * g * g
        dx = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * dx * dx
        theta = theta - lr * dx
        out.append(theta.copy())
    return out


def adamax_ref(theta, grad, steps, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    beta1, beta2 = betas
    theta = theta.copy()
    m = np.zeros_like(theta)
    u = np.zeros_like(theta)
    out = []
    for t in range(1, steps + 1):
        g = _prep(theta, grad(theta), weight_decay, maximize)
        m = beta1 * m + (1 - beta1) * g
        u = np.maximum(beta2 * u, np.abs(g) + eps)
        theta = theta - lr / (1 - beta1 ** t) * m / u
        out.append(theta.copy())
    return out


def nadam_ref(theta, grad, steps, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
              decoupled=False, maximize=False):
    beta1, beta2 = betas
    theta = theta.copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    mus = [None]  # mus[t] = mu_t, 1-based

    def mu(t):
        return beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))

    out = []
    for t in range(1, steps + 1):
        g = grad(theta)
        g = -g if maximize else g
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        mus.append(mu(t))
        prod_t = np.prod(mus[1:])
        prod_next = prod_t * mu(t + 1)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = mu(t + 1) * m / (1 - prod_next) + (1 - mu(t)) * g / (1 - prod_t)
        v_hat = v / (1 - beta2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta.copy())
    return out


def radam_ref(theta, grad, steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False,
              maximize=False):
    beta1, beta2 = betas
    theta = theta.copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    rho_inf = 2 / (1 - beta2) - 1
    out, rectified = [], []
    for t in range(1, steps + 1):
        g = grad(theta)
        g = -g if maximize else g
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
        if rho_t > 5:
            l_t = math.sqrt(1 - beta2 ** t) / (np.sqrt(v) + eps)
            r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            theta = theta - lr * m_hat * r_t * l_t
        else:
            theta = theta - lr * m_hat
        rectified.append(rho_t > 5)
        out.append(theta.copy())
    return out, rectified


def asgd_ref(theta, grad, steps, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False):
    theta = theta.copy()
    eta, mu = lr, 1.0
    ax = np.zeros_like(theta)
    out, averages = [], []
    for t in range(1, steps + 1):
        g = _prep(theta, grad(theta), weight_decay, maximize)
        theta = theta * (1 - lambd * eta) - eta * g
        ax = ax + mu * (theta - ax)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)
        out.append(theta.copy())
        averages.append(ax.copy())
    return out, averages


def rprop_ref(theta, grad, steps, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    etaminus, etaplus = etas
    theta = theta.copy()
    prev = np.zeros_like(theta)
    eta = np.full_like(theta, lr)
    out = []
    for _ in range(steps):
        g = grad(theta)
        g = -g if maximize else g
        prod = g * prev
        eta = np.clip(np.where(prod > 0, eta * etaplus, np.where(prod < 0, eta * etaminus, eta)),
                      step_sizes[0], step_sizes[1])
        g = np.where(prod < 0, 0.0, g)
        theta = theta - eta * np.sign(g)
        prev = g
        out.append(theta.copy())
    return out


def lbfgs_ref(x, grad, lr=1.0, max_iter=20, history_size=100, tolerance_grad=1e-7, tolerance_change=1e-9):
    """One LBFGS ``step`` without line search: fixed step ``lr`` along the two-loop-recursion direction
    (the first iteration's step scaled by min(1, 1/|g|_1)); returns the iterates."""
    x = x.copy()
    g = grad(x)
    if np.abs(g).max() <= tolerance_grad:
        return []
    s_hist, y_hist = [], []
    iterates = []
    d = t = prev_g = None
    for k in range(1, max_iter + 1):
        if k == 1:
            d = -g
            h_diag = 1.0
        else:
            y = g - prev_g
            s = d * t
            ys = y @ s
            if ys > 1e-10:
                if len(s_hist) == history_size:
                    s_hist.pop(0)
                    y_hist.pop(0)
                s_hist.append(s)
                y_hist.append(y)
                h_diag = ys / (y @ y)
            q = -g
            alphas = []
            for s_i, y_i in reversed(list(zip(s_hist, y_hist))):
                a_i = (s_i @ q) / (y_i @ s_i)
                alphas.append(a_i)
                q = q - a_i * y_i
            r = h_diag * q
            for (s_i, y_i), a_i in zip(zip(s_hist, y_hist), reversed(alphas)):
                b_i = (y_i @ r) / (y_i @ s_i)
                r = r + (a_i - b_i) * s_i
            d = r
        prev_g = g
        t = min(1.0, 1.0 / np.abs(g).sum()) * lr if k == 1 else lr
        if g @ d > -tolerance_change:
            break
        x = x + t * d
        iterates.append(x.copy())
        if k == max_iter:
            break
        g = grad(x)
        if np.abs(g).max() <= tolerance_grad:
            break
        if np.abs(d * t).max() <= tolerance_change:
            break
    return iterates
