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
/// Solvers are templates over the objective type. The concrete objectives below are
/// templates over the scalar type and memory order of X; `Objective` is the one runtime
/// interface they are erased to at the binding boundary, so each solver is compiled once.
/// Every virtual call does O(n p) work or more, never a per-row call.

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "types.hpp"

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
  /// False for objectives with kinks (subgradient problems): their gradient need not vanish
  /// at the minimum, so no run on them can certify one by the gradient.
  virtual bool smooth() const { return true; }
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

  /// A hint that rows[0..m) will be read soon (mini-batch loops pass the next batch):
  /// objectives that read rows from memory may start loading them. Never required.
  virtual void prefetch_rows(const Index* /*rows*/, Index /*m*/) const {}

  virtual std::string name() const = 0;
};

/// The copy of the sample weights an empirical risk keeps (empty for null: all ones). Each of
/// the n weights is checked finite and >= 0, and the copy is divided by the largest, so that
/// the cached sum S <= n cannot overflow (1e307 weights) and later edits of the caller's array
/// cannot reach the objective. The weighted mean (1/S) sum_i s_i loss_i is unchanged by the
/// scaling (up to rounding).
template <typename T>
std::vector<T> normalised_weights(const T* sample_weight, Index n) {
  std::vector<T> out;
  if (!sample_weight) return out;
  T top = T(0);
  for (Index i = 0; i < n; ++i) {
    const T s = sample_weight[i];
    if (!(s >= T(0)) || !std::isfinite(s))
      throw std::invalid_argument("sample_weight must hold finite weights >= 0");
    top = std::max(top, s);
  }
  if (!(top > T(0))) throw std::invalid_argument("sample_weight must not be all zero");
  out.assign(sample_weight, sample_weight + n);
  for (T& s : out) s /= top;
  return out;
}

}  // namespace descend
