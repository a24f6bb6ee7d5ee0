"""Tensor operations, one small ``Op`` class each (forward on arrays, backward on Tensors)."""
