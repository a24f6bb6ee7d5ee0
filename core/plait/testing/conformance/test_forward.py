"""Every Tensor op's forward result on the backend under test, against NumPy: values (float32 inputs
compared with a float64 NumPy computation on the same values) and result dtypes (torch's rules; NumPy's
dtype of the float32 computation unless the case names torch's where they differ)."""
import pytest

import plait

from ._cases import CASES
from ._util import as_list, assert_close

_NP_TO_PLAIT = {"bool": "bool", "uint8": "uint8", "int8": "int8", "int16": "int16", "int32": "int32",
                "int64": "int64", "float16": "float16", "float32": "float32", "float64": "float64"}


def run_case(case, np, rng, T, float_dtype):
    arrays = [spec.make(np, rng, float_dtype) for spec in case.inputs]
    tensors = [T(a) for a in arrays]
    return arrays, tensors, case.fn(*tensors)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forward(case, np, rng, T, backend):
    arrays, tensors, out = run_case(case, np, rng, T, np.float32)
    outs = as_list(out)
    ref32 = as_list(case.ref(np, *arrays))
    ref64 = ref32 if case.ref32 else \
        as_list(case.ref(np, *[a.astype(np.float64) if a.dtype == np.float32 else a for a in arrays]))
    assert len(outs) == len(ref64), f"{len(outs)} outputs, expected {len(ref64)}"
    expected_dtypes = case.out_dtype
    if isinstance(expected_dtypes, str):
        expected_dtypes = [expected_dtypes] * len(outs)
    for k, (t, e64, e32) in enumerate(zip(outs, ref64, ref32)):
        what = f"{case.name} output {k}"
        assert isinstance(t, plait.Tensor), f"{what}: got {type(t).__name__}, expected a Tensor"
        want = expected_dtypes[k] if expected_dtypes else _NP_TO_PLAIT[str(np.asarray(e32).dtype)]
        assert t.dtype.name == want, f"{what}: dtype {t.dtype}, expected plait.{want}"
        # the array the backend produced really has that dtype (no silent promotion inside the namespace)
        assert backend.native_to_dtype.get(t._data.dtype) is t.dtype, \
            f"{what}: the backend array has dtype {t._data.dtype!r}, which does not map to {t.dtype}"
        if tensors:
            assert t.device == tensors[0].device, f"{what}: result on {t.device}, inputs on {tensors[0].device}"
        assert_close(t, e64, what=what, atol=case.atol, rtol=case.rtol)
