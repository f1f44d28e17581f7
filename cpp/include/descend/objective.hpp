#pragma once
/// The objective concept every solver is written against.
///
/// An objective R: R^p -> R provides
///   n_params()                      p, the length of the parameter vector
///   value(w)                        R(w)
///   value_and_gradient(w, g)        R(w), and writes grad R(w) into g (one pass over the data)
///   has_hessian()                   whether hessian/hvp are available
///   hessian(w, H)                   writes the dense p x p Hessian into H
///   hvp(w, v, out)                  writes H(w) v into out
/// and, for an empirical risk R(w) = (1/S) sum_i s_i loss_i(w) + penalty(w),
///   n_samples()                     n (0 for objectives that are not sums over samples)
///   batch_value_and_gradient(w, rows, m, g)
///                                   the same on the m rows listed in `rows`: the batch mean
///                                   (weighted by s_i) plus the penalty.
///
/// The empirical risks (empirical.hpp) are templates over the data format and the model;
/// `Objective` is the one runtime interface every objective is erased to at the binding
/// boundary, so each solver is compiled once, against it.
/// Every virtual call does O(n p) work or more, never a per-row call.

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "types.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace descend {

/// Which parameters a penalty covers: the first `length` of each of `blocks` consecutive
/// blocks of `stride` parameters (a linear model: one block, its weights but not the
/// intercept; softmax: one block per class). The empty layout covers nothing.
struct PenaltyLayout {
  Index blocks = 0, stride = 0, length = 0;

  /// Calls f(segment) on each penalised segment of x.
  template <class Vec, class F>
  void for_each(Vec&& x, F f) const {
    for (Index k = 0; k < blocks; ++k) f(x.segment(k * stride, length));
  }
};

class Objective {
 public:
  virtual ~Objective() = default;

  virtual Index n_params() const = 0;
  virtual Index n_samples() const { return 0; }

  virtual double value(const CVecRef& w) const {
    VecX g(n_params());
    return value_and_gradient(w, g);
  }
  virtual double value_and_gradient(const CVecRef& w, VecRef g) const = 0;
  /// The gradient alone; objectives override it when the value costs extra work.
  virtual void gradient(const CVecRef& w, VecRef g) const { value_and_gradient(w, g); }

  virtual bool has_hessian() const { return false; }
  /// False when the gradient is itself a finite-difference estimate: differences of it are
  /// too noisy to judge curvature (certify.hpp).
  virtual bool exact_gradient() const { return true; }
  /// False for objectives with kinks (subgradient problems): their gradient need not vanish
  /// at the minimum, so no run on them can certify one by the gradient.
  virtual bool smooth() const { return true; }
  /// True when the objective is convex by construction (a linear model's convex loss with
  /// non-negative weights and penalties): every point where its gradient vanishes is then a
  /// minimum, so the second-derivative test has nothing to find and is not run (certify.hpp).
  /// False (the default) when nothing is known.
  virtual bool convex() const { return false; }
  virtual void hessian(const CVecRef& /*w*/, Eigen::Ref<MatX> /*H*/) const {
    throw std::logic_error(name() + " has no Hessian");
  }
  virtual void hvp(const CVecRef& /*w*/, const CVecRef& /*v*/, VecRef /*out*/) const {
    throw std::logic_error(name() + " has no Hessian-vector product");
  }

  virtual double batch_value_and_gradient(const CVecRef& /*w*/, const Index* /*rows*/,
                                          Index /*m*/, VecRef /*g*/) const {
    throw std::logic_error(name() + " is not a sum over samples: it has no batches");
  }

  /// An L1 penalty l1 * sum_{j penalised} |w_j| that value() includes but gradient() leaves
  /// out: first-order solvers handle it by a proximal step (soft thresholding) after each step.
  /// l1_layout() says which parameters it covers (the same ones as the L2 penalty).
  virtual double l1() const { return 0.0; }
  virtual PenaltyLayout l1_layout() const { return {}; }

  /// Each parameter's curvature scale D_j > 0, when the objective knows one (a linear
  /// model: feature j's weighted mean square plus l2, and 1 for an intercept). The solvers
  /// then ask the relative first-order test of ||g / sqrt(D)|| as well as of ||g||, so that
  /// no rescaling of one feature (or parameter) can make a run pass as converged while that
  /// parameter is still far from its optimum. Returns false when there is none.
  virtual bool parameter_scales(VecX& /*scales*/) const { return false; }

  /// The number of outputs whose parameter blocks make up x (a multinomial model's classes;
  /// 1 for a single-output model or a plain function).
  virtual Index outputs() const { return std::max<Index>(l1_layout().blocks, 1); }

  /// The L2 penalty's weight, on the same parameters as the L1 penalty (0 when none).
  virtual double l2() const { return 0.0; }

  /// Sparse batches, for the lazy mini-batch steps of solvers/lazy_steps.hpp that cost
  /// O(non-zeros) instead of O(n_params): objectives of one margin per row on sparse rows
  /// (a linear model on CSR data) say true and provide the two calls below.
  virtual bool has_sparse_batches() const { return false; }
  /// Appends the stored entries of rows[0..m) to `columns` and `values` (repeats included,
  /// in storage order) and, after each row k, the number of entries so far to `ends`.
  /// Returns true when the appended columns are known to be distinct.
  virtual bool batch_entries(const Index* /*rows*/, Index /*m*/, std::vector<Index>& /*columns*/,
                             std::vector<double>& /*values*/,
                             std::vector<Index>& /*ends*/) const {
    throw std::logic_error(name() + " has no sparse batches");
  }
  /// Given the margins z_k = x_k.w + b of rows[0..m), returns the batch's data loss
  /// (1/W) sum_k s_k loss(z_k, y_k) and sets slopes[k] = s_k loss'(z_k, y_k) / W, where
  /// W = m S / n is the weight m rows carry on average (as batch_value_and_gradient).
  /// With several outputs (K = outputs()) margins and slopes hold K numbers per row, row by
  /// row: z_kc = x_k.w_c + b_c and slopes[k K + c] = s_k d loss_k / d z_kc / W.
  virtual double batch_slopes(const double* /*margins*/, const Index* /*rows*/, Index /*m*/,
                              double* /*slopes*/) const {
    throw std::logic_error(name() + " has no sparse batches");
  }

  /// A hint that rows[0..m) will be read soon (mini-batch loops pass the next batch):
  /// objectives that read rows from memory may start loading them. Never required.
  virtual void prefetch_rows(const Index* /*rows*/, Index /*m*/) const {}
  /// An earlier hint for the same rows (the loops pass the batch after next): objectives
  /// whose rows' positions are read from memory (CSR row pointers) may start loading those.
  virtual void prefetch_row_starts(const Index* /*rows*/, Index /*m*/) const {}

  virtual std::string name() const = 0;
};

/// The machine's physical memory in bytes (0 when unknown).
inline double physical_memory_bytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && size > 0) return double(pages) * double(size);
#endif
  return 0.0;
}

/// Refuses a computation that needs `copies` dense p x p matrices of doubles when they would
/// take more than half the machine's memory: the allocation might succeed (memory is
/// overcommitted) and the process be killed when it is filled, instead of a clear error.
/// `what` names the computation; `instead` says what to use.
inline void require_dense_matrices_fit(Index p, double copies, const std::string& what,
                                       const std::string& instead) {
  const double bytes = copies * double(p) * double(p) * 8.0, memory = physical_memory_bytes();
  if (memory > 0.0 && bytes > 0.5 * memory) {
    const auto gb = [](double b) { return std::to_string(static_cast<long long>(b / 1e9 + 0.5)); };
    throw std::invalid_argument(what + " needs dense " + std::to_string(p) + " x " +
                                std::to_string(p) + " matrices, about " + gb(bytes) +
                                " GB, more than half of this machine's memory (" + gb(memory) +
                                " GB): " + instead);
  }
}

/// Writes the dense Hessian of f at w into H, assembled column by column from p
/// Hessian-vector products H e_j and symmetrised ((H + H') / 2), for objectives that give
/// only products.
inline void hessian_from_products(const Objective& f, const CVecRef& w, Eigen::Ref<MatX> H) {
  const Index p = f.n_params();
  VecX e = VecX::Zero(p), column(p);
  for (Index j = 0; j < p; ++j) {
    e(j) = 1.0;
    f.hvp(w, e, column);
    H.col(j) = column;
    e(j) = 0.0;
  }
  H = (0.5 * (H + H.transpose())).eval();
}

}  // namespace descend
