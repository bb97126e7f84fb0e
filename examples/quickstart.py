"""symdiff in one screen: gradients of a scalar function, their code, and a check.

Run:  python examples/quickstart.py
CLI:  symdiff examples/quickstart.py:f
"""

import math

from symdiff import differentiate, jvp


@differentiate(argnums=(0, 1))
def f(x, z):
    return math.exp(x * z) + x * z / math.log(x) + math.sin(math.log(x)) / (x * z)


if __name__ == "__main__":
    print("f(2, 3)          =", f(2.0, 3.0))
    print("(df/dx, df/dz)   =", f.grad(2.0, 3.0))
    print("value_and_grad   =", f.value_and_grad(2.0, 3.0))
    print("jvp along (1, 0) =", jvp(f, (2.0, 3.0), (1.0, 0.0)))
    print()
    print(f.source(2.0, 3.0))
    print(f.check(2.0, 3.0))
