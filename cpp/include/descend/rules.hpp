#pragma once
/// Update rules: each a small struct holding its own state with one `apply(x, g)` that moves
/// x in place from the gradient g and returns the step size it used (for the history).

#include <cmath>
#include <stdexcept>

#include "types.hpp"

namespace descend {

/// Plain gradient step: w <- w - lr * g.
struct GradientStep {
  double lr = 0.1;  ///< > 0

  void check() const {
    if (!(lr > 0.0) || !std::isfinite(lr)) throw std::invalid_argument("lr must be > 0 and finite");
  }
  double apply(VecX& x, const VecX& g) {
    x.noalias() -= lr * g;
    return lr;
  }
};

}  // namespace descend
