"""Python's semantics for containers where symdiff once differed silently
(found by a review of the container code): a list read from a global is not
changed, aliases made on one path of an `if` only are refused, dicts are
iterated in their own order, a generator is consumed by one pass."""

import numpy as np
import pytest

import symdiff

GLOBAL_LIST = [1.0]


def append_to_global(x):
    GLOBAL_LIST.append(x)
    return sum(GLOBAL_LIST) * x


def append_through_alias(x):
    a = GLOBAL_LIST
    a.append(x)
    return sum(GLOBAL_LIST) * x


def append_to_copy(x):
    a = list(GLOBAL_LIST)
    a.append(x)
    return sum(a) * x


def aliased_on_one_path(x):
    a = [x]
    if x > 0:
        b = a
    else:
        b = [x]
    b.append(x * 3.0)
    return sum(a) + sum(b)


def aliased_on_both_paths(x):
    a = [x]
    if x > 0:
        b = a
    else:
        b = a
    b.append(x * 3.0)
    return sum(a) + sum(b)


def weighted_values(d):
    return sum(v * i for i, v in enumerate(d.values()))


def generator_twice(x):
    gen = (x * i for i in range(3))
    a = sum(gen)
    b = sum(gen)  # empty now, as in Python
    return a + b


def _fd(fn, x, h=1e-6):
    return (fn(x + h) - fn(x - h)) / (2 * h)


@pytest.mark.parametrize("fn", [append_to_global, append_through_alias])
def test_a_global_list_is_not_changed(fn):
    with pytest.raises(symdiff.SymDiffError, match="read from a global or closure variable") as err:
        symdiff.grad(fn, jit=False)(2.0)
    assert err.value.loc.lineno == fn.__code__.co_firstlineno + (1 if fn is append_to_global else 2)
    assert GLOBAL_LIST == [1.0]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_copy_of_a_global_list_may_be_changed(mode):
    value, g = symdiff.value_and_grad(append_to_copy, mode=mode, jit=False)(2.0)
    assert value == append_to_copy(2.0) and g == pytest.approx(_fd(append_to_copy, 2.0))


def test_aliases_made_on_one_path_are_refused():
    with pytest.raises(symdiff.SymDiffError, match="one list on one path") as err:
        symdiff.grad(aliased_on_one_path, jit=False)(1.0)
    assert err.value.loc.lineno == aliased_on_one_path.__code__.co_firstlineno + 2


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("x", [1.0, -1.0])
def test_aliases_made_on_every_path_are_kept(x, mode):
    value, g = symdiff.value_and_grad(aliased_on_both_paths, mode=mode, jit=False)(x)
    assert value == pytest.approx(aliased_on_both_paths(x))
    assert g == pytest.approx(_fd(aliased_on_both_paths, x))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_dicts_are_iterated_in_their_own_order(mode):
    for d in ({"b": 1.0, "a": 1.0}, {"a": 1.0, "b": 1.0}):
        g = symdiff.grad(weighted_values, mode=mode, jit=False)(d)
        first, second = list(d)
        assert list(g) == [first, second] and g[first] == 0.0 and g[second] == 1.0


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_generator_is_consumed_by_one_pass(mode):
    value, g = symdiff.value_and_grad(generator_twice, mode=mode, jit=False)(2.0)
    assert value == generator_twice(2.0) == 6.0
    assert g == pytest.approx(_fd(generator_twice, 2.0)) and np.isclose(g, 3.0)
