"""glibc's float ``logf`` and ``sincosf``, so Box-Muller normals match TensorFlow's bit for bit.

TensorFlow's CPU normals call glibc (>= 2.28), whose float routines
(``sysdeps/ieee754/flt-32/e_logf.c``, ``s_sincosf.c``) are evaluated here in vectorized float64
exactly as glibc evaluates them.
"""

from __future__ import annotations

import numpy as np

_HEX = float.fromhex
_LOGF_INVC = np.array([_HEX(h) for h in (
    "0x1.661ec79f8f3bep+0", "0x1.571ed4aaf883dp+0", "0x1.49539f0f010bp+0", "0x1.3c995b0b80385p+0",
    "0x1.30d190c8864a5p+0", "0x1.25e227b0b8eap+0", "0x1.1bb4a4a1a343fp+0", "0x1.12358f08ae5bap+0",
    "0x1.0953f419900a7p+0", "0x1p+0", "0x1.e608cfd9a47acp-1", "0x1.ca4b31f026aap-1",
    "0x1.b2036576afce6p-1", "0x1.9c2d163a1aa2dp-1", "0x1.886e6037841edp-1",
    "0x1.767dcf5534862p-1")])
_LOGF_LOGC = np.array([_HEX(h) for h in (
    "-0x1.57bf7808caadep-2", "-0x1.2bef0a7c06ddbp-2", "-0x1.01eae7f513a67p-2",
    "-0x1.b31d8a68224e9p-3", "-0x1.6574f0ac07758p-3", "-0x1.1aa2bc79c81p-3",
    "-0x1.a4e76ce8c0e5ep-4", "-0x1.1973c5a611cccp-4", "-0x1.252f438e10c1ep-5", "0x0p+0",
    "0x1.aa5aa5df25984p-5", "0x1.c5e53aa362eb4p-4", "0x1.526e57720db08p-3", "0x1.bc2860d22477p-3",
    "0x1.1058bc8a07ee1p-2", "0x1.4043057b6ee09p-2")])
_LOGF_POLY = [_HEX("-0x1.00ea348b88334p-2"), _HEX("0x1.5575b0be00b6ap-2"),
              _HEX("-0x1.ffffef20a4123p-2")]
_LN2 = _HEX("0x1.62e42fefa39efp-1")
_HPI_INV = _HEX("0x1.45F306DC9C883p+23")  # 2/pi * 2**24 (no TOINT_INTRINSICS on x86-64)
_HPI = _HEX("0x1.921FB54442D18p0")
_COS_POLY = [1.0, _HEX("-0x1.ffffffd0c621cp-2"), _HEX("0x1.55553e1068f19p-5"),
             _HEX("-0x1.6c087e89a359dp-10"), _HEX("0x1.99343027bf8c3p-16")]
_SIN_POLY = [_HEX("-0x1.555545995a603p-3"), _HEX("0x1.1107605230bc4p-7"),
             _HEX("-0x1.994eb3774cf24p-13")]
_TOP12_PIO4 = 0x3F4  # abstop12(pi/4)
_TOP12_TINY = 0x398  # abstop12(0x1p-12f)


def _logf(x: np.ndarray) -> np.ndarray:
    """glibc logf for normal positive float32 ``x``."""
    ix = x.view(np.uint32)
    tmp = ix - np.uint32(0x3F330000)
    index = (tmp >> np.uint32(19)) & np.uint32(15)
    k = (tmp.view(np.int32) >> 23).astype(np.float64)
    z = (ix - (tmp & np.uint32(0xFF800000))).view(np.float32).astype(np.float64)
    r = z * _LOGF_INVC[index] - 1.0
    y0 = _LOGF_LOGC[index] + k * _LN2
    r2 = r * r
    y = _LOGF_POLY[1] * r + _LOGF_POLY[2]
    y = _LOGF_POLY[0] * r2 + y
    y = y * r2 + (y0 + r)
    return np.where(ix == np.uint32(0x3F800000), np.float32(0), y.astype(np.float32))


def _sincosf(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """glibc sincosf for float32 ``y`` in [0, 120) (Box-Muller angles are in [0, 2*pi))."""
    x = y.astype(np.float64)
    top = (y.view(np.uint32) >> np.uint32(20)) & np.uint32(0x7FF)
    small, tiny = top < _TOP12_PIO4, top < _TOP12_TINY
    quadrant = np.where(small, 0, ((x * _HPI_INV).astype(np.int32) + 0x800000) >> 24)
    x = np.where(small, x, x - quadrant.astype(np.float64) * _HPI)
    sign = np.array([1.0, -1.0, -1.0, 1.0])[quadrant & 3]
    flip = np.where((quadrant & 2) != 0, -1.0, 1.0)  # the second table negates cos
    xs, x2 = x * sign, x * x
    x4, x3 = x2 * x2, x2 * xs
    c2 = flip * _COS_POLY[3] + x2 * (flip * _COS_POLY[4])
    s1 = _SIN_POLY[1] + x2 * _SIN_POLY[2]
    c1 = flip * _COS_POLY[0] + x2 * (flip * _COS_POLY[1])
    sin_poly = (xs + x3 * _SIN_POLY[0] + (x3 * x2) * s1).astype(np.float32)
    cos_poly = (c1 + x4 * (flip * _COS_POLY[2]) + (x4 * x2) * c2).astype(np.float32)
    odd = (quadrant & 1) != 0
    sin = np.where(tiny, y, np.where(odd, cos_poly, sin_poly))
    cos = np.where(tiny, np.float32(1), np.where(odd, sin_poly, cos_poly))
    return sin, cos
