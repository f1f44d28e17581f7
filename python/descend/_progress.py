"""Progress for ``verbose=True``: a tqdm bar for runs longer than a second, logging otherwise.

The reporter is a callback wrapper, so it costs nothing when ``verbose`` is False.
"""

from __future__ import annotations

import logging
import time

logger = logging.getLogger("descend")

#: Runs shorter than this many seconds get no bar, only the closing log line.
BAR_AFTER_SECONDS = 1.0


class ProgressReporter:
    """Wraps a callback: shows a bar (when tqdm is installed) once a run passes one second."""

    def __init__(self, method, max_iter, callback=None):
        self.method = method
        self.total = max_iter
        self.callback = callback
        self.start = time.perf_counter()
        self.bar = None
        self.tqdm_missing = False

    def __call__(self, info):
        if self.bar is None and not self.tqdm_missing:
            if time.perf_counter() - self.start > BAR_AFTER_SECONDS:
                self._open_bar(info.nit)
        if self.bar is not None:
            self.bar.update(info.nit - self.bar.n)
            self.bar.set_postfix(loss=f"{info.loss:.6g}", grad=f"{info.grad_norm:.3g}",
                                 refresh=False)
        elif self.tqdm_missing and info.nit % 100 == 0:
            logger.info("%s: iteration %d, loss %.6g, grad norm %.3g", self.method, info.nit,
                        info.loss, info.grad_norm)
        return self.callback(info) if self.callback is not None else None

    def _open_bar(self, done):
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self.tqdm_missing = True
            logger.info("%s: running (install tqdm for a progress bar)", self.method)
            return
        self.bar = tqdm(total=self.total, initial=done, desc=self.method, unit="it",
                        leave=True)

    def close(self, result):
        """Close the bar and log how the run ended."""
        if self.bar is not None:
            self.bar.close()
        logger.info("%s: %s after %d iterations in %.3g s, loss %.10g (%s)", self.method,
                    result.status, result.nit, time.perf_counter() - self.start, result.fun,
                    result.message)
