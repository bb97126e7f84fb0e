"""Fields of global objects are read at each call: a field rebound to a value
of another kind (a float to an array, to None, a function to another) gives
a new specialisation, never a stale answer."""

import numpy as np
import pytest

from symdiff import grad

from . import global_object_cases as cases

X = np.array([0.5, -1.0, 2.0])
ARRAY = np.array([1.0, 10.0, 100.0])


def numeric_gradient(fn, x, h=1e-6):
    out = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = h
        out[i] = (fn(x + step) - fn(x - step)) / (2 * h)
    return out


def set_config(name, value):
    return lambda: setattr(cases.CONFIG, name, value)


def set_layers(value):
    def change():
        for layer in cases.LAYERS:
            layer.w = value

    return change


# (function, the changes made one after the other)
ROWS = [
    (cases.field, [set_config("w", ARRAY), set_config("w", 3.0), set_config("w", 4)]),
    (cases.field_through_a_local, [set_config("w", ARRAY), set_config("w", None)]),
    (cases.function_field, [set_config("act", np.sin), set_config("act", np.tanh)]),
    (
        cases.callable_object,
        [
            lambda: setattr(cases.Scaled, "factor", ARRAY),
            lambda: setattr(cases.SCALED, "factor", 5.0),
        ],
    ),
    (cases.objects_in_a_list, [set_layers(ARRAY), set_layers(0.5)]),
]


def reset():
    cases.CONFIG.w, cases.CONFIG.act = 2.0, np.tanh
    cases.Scaled.factor = 2.0
    cases.SCALED.__dict__.clear()
    set_layers(2.0)()


@pytest.mark.parametrize("mode", ("reverse", "forward"))
@pytest.mark.parametrize("jit", (False, True))
@pytest.mark.parametrize("fn, changes", ROWS, ids=lambda v: getattr(v, "__name__", ""))
def test_a_field_rebound_to_another_kind(fn, changes, mode, jit):
    if jit and fn not in (cases.field, cases.callable_object):
        pytest.skip("a small Numba subset")
    reset()
    df = grad(fn, mode=mode, jit=jit)
    try:
        for change in [lambda: None, *changes]:
            change()
            np.testing.assert_allclose(df(X), numeric_gradient(fn, X), rtol=1e-6, atol=1e-8)
    finally:
        reset()
