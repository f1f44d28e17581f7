"""scikit-learn estimators for neural networks backed by descend: MLPClassifier, MLPRegressor.

They take scikit-learn's parameter names (hidden_layer_sizes, activation, solver, alpha,
batch_size, learning_rate_init, max_iter, tol, n_iter_no_change, early_stopping,
validation_fraction, shuffle, random_state, warm_start) and report its fitted attributes
(``coefs_`` and ``intercepts_`` in its layout, ``loss_curve_``, ``n_iter_``, ...). The
objective is :class:`descend.MLP`, compiled; ``solver`` is any :func:`descend.methods` name,
"adam" by default. scikit-learn is an optional dependency: importing this module needs it.

Examples
--------
>>> from sklearn.datasets import load_iris
>>> from descend.neural_network import MLPClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = MLPClassifier((20,), solver="lbfgs", max_iter=300, random_state=0).fit(X, y)
>>> clf.score(X, y) > 0.95
True
"""

from ._multilayer import MINIBATCH_SOLVERS, MLPClassifier, MLPRegressor

__all__ = ["MINIBATCH_SOLVERS", "MLPClassifier", "MLPRegressor"]
