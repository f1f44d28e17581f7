"""How many threads descend's passes use by default, and how the host can limit them.

A pass over the data (a gradient, a Hessian, a large mini-batch of a network) runs on a pool of
persistent worker threads (``cpp/include/descend/thread_pool.hpp``), split only when each
thread gets enough work. The thread count of an objective built with ``n_threads=None`` is the
default in force when it is built, which is, in this order:

1. the limit set by :func:`set_num_threads`, or by threadpoolctl's ``threadpool_limits``
   (descend registers a controller with threadpoolctl, under the user API ``"descend"``);
2. the environment variable ``OMP_NUM_THREADS``, read once at the first pass, as scikit-learn's
   OpenMP code and the BLAS libraries read it (joblib's worker processes and Dask's nannies
   set it so that ``n_jobs`` workers do not oversubscribe the cores);
3. the cores this process may run on (its CPU affinity on Linux).

An explicit ``n_threads=`` argument always wins over the default, as ``n_jobs`` does in
scikit-learn.

The threadpoolctl controller is registered without importing threadpoolctl: if it is already
imported when descend is, at once; otherwise when threadpoolctl is first imported (a hook on
``sys.meta_path``, ``descend._on_import``, that then removes itself).
"""

from __future__ import annotations

from typing import Any

from . import _core
from ._on_import import on_import


def get_num_threads() -> int:
    """Return the number of threads a pass uses when ``n_threads`` is not given.

    Returns
    -------
    int
        The limit set by :func:`set_num_threads` or threadpoolctl, else ``OMP_NUM_THREADS``,
        else the cores this process may run on; >= 1.

    See Also
    --------
    set_num_threads : set it.

    Examples
    --------
    >>> import descend
    >>> descend.get_num_threads() >= 1
    True
    """
    return int(_core.get_num_threads())


def set_num_threads(n_threads: int | None) -> None:
    """Set the number of threads a pass uses when ``n_threads`` is not given.

    The limit applies to the whole process, to objectives built after the call (an objective
    keeps the thread count it was built with). ``threadpoolctl.threadpool_limits(n)`` sets the
    same limit for the duration of a ``with`` block.

    Parameters
    ----------
    n_threads : int or None
        Threads, in [1, 1024]; None returns to the host's default (``OMP_NUM_THREADS``, else
        the cores this process may run on).

    Raises
    ------
    TypeError
        If `n_threads` is not an int or None.
    ValueError
        If `n_threads` is out of [1, 1024].

    Examples
    --------
    >>> import descend
    >>> before = descend.get_num_threads()
    >>> descend.set_num_threads(1)
    >>> descend.get_num_threads()
    1
    >>> descend.set_num_threads(None)
    >>> descend.get_num_threads() == before
    True
    """
    from ._validation import check_n_threads

    _core.set_num_threads(check_n_threads(n_threads))


# --- threadpoolctl ---------------------------------------------------------------------------

#: The file names of the compiled cores, as threadpoolctl matches loaded libraries.
CORE_PREFIXES = ("_core_generic", "_core_avx2")


def register_controller(threadpoolctl: Any) -> None:
    """Register descend's controller with the `threadpoolctl` module (once)."""
    if getattr(threadpoolctl, "_descend_registered", False):
        return

    class DescendController(threadpoolctl.LibController):
        """threadpoolctl's view of descend's pool: the default thread count of its passes."""

        user_api = "descend"
        internal_api = "descend"
        filename_prefixes = CORE_PREFIXES
        check_symbols = ("descend_get_num_threads", "descend_set_num_threads")

        def get_num_threads(self):
            return self.dynlib.descend_get_num_threads()

        def set_num_threads(self, num_threads):
            self.dynlib.descend_set_num_threads(int(num_threads))

        def get_version(self):
            from ._version import __version__

            return __version__

    threadpoolctl.register(DescendController)
    threadpoolctl._descend_registered = True


def _register_quietly(threadpoolctl: Any) -> None:
    try:
        register_controller(threadpoolctl)
    except Exception:  # a change in threadpoolctl must not break its import
        pass


def install() -> None:
    """Register the controller now if threadpoolctl is imported, else when it is."""
    on_import("threadpoolctl", _register_quietly)
