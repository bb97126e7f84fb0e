"""A user module read by ``free_value_cases`` (``config.lr`` is an implicit input)."""

import numpy as np

lr = 0.5
scale = np.array([1.0, 2.0, 3.0])
