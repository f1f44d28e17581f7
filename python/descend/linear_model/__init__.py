"""scikit-learn estimators backed by descend's solvers.

``LinearRegression``, ``Ridge`` and ``LogisticRegression`` follow scikit-learn's conventions
(parameters, fitted attributes with trailing underscores, shapes of ``coef_`` and
``intercept_``) and pass ``sklearn.utils.estimator_checks.check_estimator``. scikit-learn is
an optional dependency: ``pip install descend[sklearn]``; importing this module needs it.

Each estimator builds a descend objective on the validated data (borrowed, not copied) and
minimises it with :func:`descend.minimize`; ``solver`` picks the method. "auto" chooses by
the size of the Hessian: Newton's method while the dense Hessian is small, L-BFGS beyond
(Newton-CG beyond on sparse X);
an underdetermined least-squares problem gets its minimum-norm solution by a direct solve
(by LSQR when X is sparse).

X may be dense or a scipy.sparse matrix or array, in ``fit``, ``partial_fit``, ``predict``,
``decision_function``, ``predict_proba`` and ``score`` (the tags say so, and
``check_estimator`` runs its sparse checks): CSR of float64 or float32 is borrowed (its data,
indices and indptr), any other format is converted to CSR once by scikit-learn's
``validate_data(accept_sparse="csr")``. X is never densified and never centred: intercepts
are parameters of the objective. y and sample_weight must be dense (a sparse one is refused
with a TypeError).
``tol`` is relative (the gradient norm at the end over that at the start), so fits do not
depend on the scale of the data or the weights. A fit that did not meet ``tol`` warns once,
with a ``sklearn.exceptions.ConvergenceWarning`` in the estimator's own terms; one that
diverged raises ``RuntimeError``. Parameters are checked at ``fit`` and refused with a
``TypeError`` or ``ValueError`` naming the parameter.

The SGD estimators run the update rules on mini-batches in the same compiled loop as
``minimize(..., method=rule)`` (``_core.run_minibatch``, built as
``descend._first_order.run_rule`` builds it, with scikit-learn's stopping: the tol rule on
the best epoch loss, and only a non-finite or exploding loss as divergence), ``fit`` and
``partial_fit`` alike, with every loss of scikit-learn's
(:class:`descend.objectives.LinearLoss`), one problem per class one versus all, and
``average`` through ``_core.IterateAverage``. Multinomial coefficients (LogisticRegression,
and SGDClassifier's ``multi_class="multinomial"``) are reported centred over the classes
(their columns sum to zero).

Modules: ``_base`` (what the estimators share: weights, the unpacking of coefficients, the
full-batch solver call, classifier predictions), ``_least_squares`` (LinearRegression,
Ridge), ``_logistic`` (LogisticRegression), ``_sgd`` (SGDRegressor, SGDClassifier).

Examples
--------
>>> import numpy as np
>>> from descend.linear_model import Ridge
>>> Ridge(alpha=0.0).fit([[0.0], [1.0]], [1.0, 3.0]).coef_.round(6).tolist()
[2.0]
"""

from __future__ import annotations

from ._least_squares import LinearRegression, Ridge
from ._logistic import LogisticRegression
from ._sgd import SGDClassifier, SGDRegressor

__all__ = ["LinearRegression", "Ridge", "LogisticRegression", "SGDRegressor", "SGDClassifier"]

# The estimators are descend.linear_model.X wherever they are defined: pickles name that path
# (and so survive moves between the private modules), and doctest finds their examples here.
for _cls in (LinearRegression, Ridge, LogisticRegression, SGDRegressor, SGDClassifier):
    _cls.__module__ = __name__
del _cls
