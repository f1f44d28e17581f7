#pragma once
/// Learning-rate schedules, as a factor that multiplies the base learning rate at step t
/// (t counts epochs for mini-batch runs and iterations for full-batch runs, from 0):
///   constant     1
///   step         gamma^floor(t / step_size)
///   exponential  gamma^t
///   inverse      1 / (1 + decay t)^power           (the lectures' "start large and reduce")
///   cosine       m + (1 - m) (1 + cos(pi min(t, T) / T)) / 2,  m = min_factor
/// each optionally preceded by a linear warm-up over `warmup` steps: factor (t + 1) / warmup.

#include <cmath>
#include <stdexcept>
#include <string>

#include "types.hpp"

namespace descend {

struct Schedule {
  enum class Kind { Constant, Step, Exponential, Inverse, Cosine } kind = Kind::Constant;
  double gamma = 0.1;       ///< step and exponential, in (0, 1]
  Index step_size = 10;     ///< step, >= 1
  double decay = 1.0;       ///< inverse, >= 0
  double power = 1.0;       ///< inverse, > 0
  Index period = 100;       ///< cosine: T, >= 1
  double min_factor = 0.0;  ///< cosine: the factor reached at T, in [0, 1]
  Index warmup = 0;         ///< linear warm-up steps, >= 0

  void check() const {
    if (!(gamma > 0.0 && gamma <= 1.0)) throw std::invalid_argument("gamma must be in (0, 1]");
    if (step_size < 1) throw std::invalid_argument("step_size must be >= 1");
    if (!(decay >= 0.0)) throw std::invalid_argument("decay must be >= 0");
    if (!(power > 0.0)) throw std::invalid_argument("power must be > 0");
    if (period < 1) throw std::invalid_argument("period must be >= 1");
    if (!(min_factor >= 0.0 && min_factor <= 1.0))
      throw std::invalid_argument("min_factor must be in [0, 1]");
    if (warmup < 0) throw std::invalid_argument("warmup must be >= 0");
  }

  double factor(Index t) const {
    double f = 1.0;
    switch (kind) {
      case Kind::Constant: break;
      case Kind::Step: f = std::pow(gamma, double(t / step_size)); break;
      case Kind::Exponential: f = std::pow(gamma, double(t)); break;
      case Kind::Inverse: f = std::pow(1.0 + decay * double(t), -power); break;
      case Kind::Cosine: {
        const double progress = double(std::min(t, period)) / double(period);
        f = min_factor + (1.0 - min_factor) * 0.5 * (1.0 + std::cos(M_PI * progress));
        break;
      }
    }
    if (t < warmup) f *= double(t + 1) / double(warmup);
    return f;
  }
};

}  // namespace descend
