"""No densification, no copy of X: the peak memory a fit on CSR adds stays below 10% of X plus
O(p) (issue 11).

Each fit runs in a fresh Python process that loads a CSR matrix of about 50 MB from .npy files
(its arrays are read straight into place, so loading adds no temporary), fits once on the first
rows (imports, the thread pool and the allocator's pools are then in place), records the peak
resident memory, fits on all the rows and records it again. The difference is what the fit
added. A copy of the values (32 MB) or of the indices (16 MB), let alone a dense X (26 GB),
fails by far; the O(p) allowance (vectors of p + 1 doubles: the iterates, gradients, an
L-BFGS history) and the 10% (labels, margins and other O(n) arrays) are what a fit needs.

Linux resets the peak (/proc/self/clear_refs) before the real fit and reads VmHWM; elsewhere the
process's ru_maxrss is read, whose earlier peaks can only hide growth, never invent it.
"""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

sparse = pytest.importorskip("scipy.sparse")
pytest.importorskip("sklearn")

N, P, PER_ROW = 100_000, 2**15, 40
VECTORS = 48  # the O(p) allowance, in vectors of p + 1 doubles

CHILD = textwrap.dedent("""
    import json, resource, sys
    import numpy as np
    from scipy import sparse
    import descend
    from descend import linear_model as lm

    folder, which = sys.argv[1], sys.argv[2]
    load = lambda name: np.load(f"{folder}/{name}.npy")
    data, indices, indptr, y = load("data"), load("indices"), load("indptr"), load("y")
    X = sparse.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, int(sys.argv[3])),
                          copy=False)
    assert np.shares_memory(X.data, data) and np.shares_memory(X.indices, indices)
    labels = (y > 0).astype(np.float64)
    fits = {
        "SGDClassifier": lambda X, y: lm.SGDClassifier(max_iter=2, tol=None).fit(X, labels[:X.shape[0]]),
        "SGDRegressor": lambda X, y: lm.SGDRegressor(max_iter=2, tol=None).fit(X, y[:X.shape[0]]),
        "LogisticRegression": lambda X, y: lm.LogisticRegression(max_iter=5).fit(X, labels[:X.shape[0]]),
        "LogisticRegression-lbfgs": lambda X, y: lm.LogisticRegression(
            solver="lbfgs", max_iter=15).fit(X, labels[:X.shape[0]]),
        "Ridge": lambda X, y: lm.Ridge(alpha=1.0, max_iter=5).fit(X, y[:X.shape[0]]),
    }
    fit = fits[which]

    def reset():
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def peak(linux):
        if linux:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss if sys.platform == "darwin" else rss * 1024

    import warnings
    warnings.simplefilter("ignore")
    fit(X[:2000], y[:2000])
    linux = reset()
    before = peak(linux)
    fit(X, y)
    print(json.dumps({"before": before, "after": peak(linux)}))
""")


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A CSR matrix (N x P, about PER_ROW distinct columns a row, float64, int32) in .npy files."""
    folder = tmp_path_factory.mktemp("csr")
    r = np.random.default_rng(0)
    cols = r.integers(0, P, size=(N, PER_ROW), dtype=np.int64)
    cols.sort(axis=1)
    keep = np.ones(cols.shape, bool)
    keep[:, 1:] = cols[:, 1:] != cols[:, :-1]          # canonical: distinct, sorted
    indptr = np.zeros(N + 1, np.int32)
    np.cumsum(keep.sum(axis=1), out=indptr[1:])
    indices = cols[keep].astype(np.int32)
    data = r.uniform(0.1, 1.0, size=indices.size)
    X = sparse.csr_matrix((data, indices, indptr), shape=(N, P))
    y = X @ r.normal(size=P) + 0.1 * r.normal(size=N)
    for name, array in [("data", data), ("indices", indices), ("indptr", indptr), ("y", y)]:
        np.save(folder / f"{name}.npy", array)
    return folder, data.nbytes + indices.nbytes + indptr.nbytes


@pytest.mark.parametrize("which", [
    "SGDClassifier", "SGDRegressor", "LogisticRegression", "LogisticRegression-lbfgs", "Ridge"])
def test_a_fit_on_csr_adds_less_than_a_tenth_of_x_plus_o_p(stored, which):
    folder, x_bytes = stored
    run = subprocess.run([sys.executable, "-c", CHILD, str(folder), which, str(P)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    peaks = json.loads(run.stdout.strip().splitlines()[-1])
    added = peaks["after"] - peaks["before"]
    allowed = 0.1 * x_bytes + VECTORS * (P + 1) * 8
    assert added < allowed, (
        f"{which} added {added / 2**20:.1f} MB above X ({x_bytes / 2**20:.1f} MB); allowed "
        f"{allowed / 2**20:.1f} MB")
