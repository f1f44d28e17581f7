#pragma once
/// Update rules: each a small struct holding its own state, with one
///   double apply(x, g, scale)
/// that moves x in place from the gradient g, with the learning rate multiplied by `scale`
/// (the schedule's factor), and returns the scalar learning rate it used (for the history).
/// The learning rate is a vector: one rate per coordinate, or a single rate broadcast.
/// Formulas, defaults and the placement of eps follow torch.optim's documented algorithms;
/// Momentum is the lectures' form dw = -lr g + mu dw, w <- w + dw.

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "parallel.hpp"
#include "types.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define DESCEND_ADAM_AVX2 1
#else
#define DESCEND_ADAM_AVX2 0
#endif

namespace descend {

/// The learning rate, scalar or per coordinate.
struct LearningRate {
  VecX rates = VecX::Constant(1, 0.1);  ///< length 1 (broadcast) or n, all > 0

  /// The one check of the rates' length against the n parameters they move.
  void check_length(Index n) const {
    if (rates.size() != 1 && rates.size() != n)
      throw std::invalid_argument("lr must be a scalar or have one rate per parameter (" +
                                  std::to_string(n) + "), got " +
                                  std::to_string(rates.size()));
  }
  void check_values() const {
    if (rates.size() < 1) throw std::invalid_argument("lr must hold at least one rate");
    for (Index i = 0; i < rates.size(); ++i)
      if (!(rates(i) > 0.0) || !std::isfinite(rates(i)))
        throw std::invalid_argument("lr must be > 0 and finite");
  }
  void check(Index n) const {
    check_values();
    check_length(n);
  }
  bool scalar() const { return rates.size() == 1; }
  double first() const { return rates(0); }
};

/// The range checks of the hyperparameters, one function per range, with the message naming
/// the hyperparameter: the rules' check() and RuleParams::check() both use them.
inline void require_unit(double v, const char* name) {  // [0, 1)
  if (!(v >= 0.0 && v < 1.0))
    throw std::invalid_argument(std::string(name) + " must be in [0, 1)");
}
inline void require_non_negative(double v, const char* name) {
  if (!(v >= 0.0) || !std::isfinite(v))
    throw std::invalid_argument(std::string(name) + " must be >= 0 and finite");
}
inline void require_positive(double v, const char* name) {
  if (!(v > 0.0) || !std::isfinite(v))
    throw std::invalid_argument(std::string(name) + " must be > 0 and finite");
}

/// x <- x - scale * lr * step, for a scalar or per-coordinate lr.
template <class Target, class Step>
inline void descend_by(Target&& x, const LearningRate& lr, double scale, const Step& step) {
  if (lr.scalar())
    x.noalias() -= (scale * lr.first()) * step;
  else
    x.array() -= scale * lr.rates.array() * step.array();
}

/// g + weight_decay x, written into a buffer the rule keeps, so a step allocates nothing.
inline const VecX& decayed(VecX& buffer, const CVecRef& g, double weight_decay,
                           const Eigen::Ref<VecX>& x) {
  buffer = g;
  if (weight_decay != 0.0) buffer += weight_decay * x;
  return buffer;
}

/// Plain gradient step: w <- w - clr (g + weight_decay w) at step t (t = 1, 2, ... over the
/// rule's life: it carries on across runs that keep the state), with
///   clr = lr / (1 + (t - 1) lr_decay)^lr_power.
/// lr_power = 1 is AdaGrad's decay; with lr = 1 / (alpha t0) and lr_decay = 1 / t0 it is
/// scikit-learn's "optimal" 1 / (alpha (t0 + t - 1)). lr_decay = 1 and lr_power = p give
/// scikit-learn's "invscaling" eta0 / t^p. lr_decay = 0 is a constant rate.
struct GradientStep {
  LearningRate lr;
  double weight_decay = 0.0;
  double lr_decay = 0.0;
  double lr_power = 1.0;
  Index t = 0;

  void check(Index n) const {
    lr.check(n);
    require_non_negative(weight_decay, "weight_decay");
    require_non_negative(lr_decay, "lr_decay");
    require_non_negative(lr_power, "lr_power");
  }
  void reset(Index) { t = 0; }
  template <class Visitor>
  void state(Visitor&& visit) {
    visit("t", t);
  }
  /// The factor of lr at the next step (1 without lr_decay; never above 1). lr_power = 1
  /// takes one division, the form every earlier iterate was computed with.
  double decay_next() const {
    const double base = 1.0 + double(t) * lr_decay;
    return lr_power == 1.0 ? 1.0 / base : 1.0 / std::pow(base, lr_power);
  }
  double apply(Eigen::Ref<VecX> x, const CVecRef& g, double scale = 1.0) {
    const double rate = scale * decay_next();
    ++t;
    if (weight_decay != 0.0)
      descend_by(x, lr, rate, g + weight_decay * x);
    else
      descend_by(x, lr, rate, g);
    return rate * lr.first();
  }
};

/// The lectures' momentum: dw <- -lr g + mu dw;  w <- w + dw  (0 <= mu < 1).
struct Momentum {
  LearningRate lr;
  double mu = 0.9;
  double weight_decay = 0.0;
  VecX dw;

  void check(Index n) const {
    lr.check(n);
    require_unit(mu, "momentum");
    require_non_negative(weight_decay, "weight_decay");
  }
  void reset(Index n) { dw = VecX::Zero(n); }
  template <class Visitor>
  void state(Visitor&& visit) {
    visit("dw", dw);
  }
  double apply(Eigen::Ref<VecX> x, const CVecRef& g, double scale = 1.0) {
    if (dw.size() != x.size()) reset(x.size());
    dw *= mu;
    if (weight_decay != 0.0)
      descend_by(dw, lr, scale, g + weight_decay * x);
    else
      descend_by(dw, lr, scale, g);
    x += dw;
    return scale * lr.first();
  }
};

/// Nesterov momentum as torch.optim.SGD(nesterov=True): b <- mu b + g;  w <- w - lr (g + mu b).
struct Nesterov {
  LearningRate lr;
  double mu = 0.9;
  double weight_decay = 0.0;
  VecX buf, work;
  bool started = false;

  void check(Index n) const {
    lr.check(n);
    require_unit(mu, "momentum");
    require_non_negative(weight_decay, "weight_decay");
  }
  void reset(Index n) {
    buf = VecX::Zero(n);
    started = false;
  }
  template <class Visitor>
  void state(Visitor&& visit) {
    visit("buf", buf);
    visit("started", started);
  }
  double apply(Eigen::Ref<VecX> x, const CVecRef& g0, double scale = 1.0) {
    if (buf.size() != x.size()) reset(x.size());
    const VecX& g = decayed(work, g0, weight_decay, x);
    if (started)
      buf = mu * buf + g;
    else
      buf = g;  // torch starts the buffer at the first gradient
    started = true;
    descend_by(x, lr, scale, g + mu * buf);
    return scale * lr.first();
  }
};

/// AdaGrad as torch.optim.Adagrad: s <- s + g^2;  w <- w - clr g / (sqrt(s) + eps),
/// clr = lr / (1 + (t - 1) lr_decay).
struct AdaGrad {
  LearningRate lr;
  double lr_decay = 0.0;
  double eps = 1e-10;
  double weight_decay = 0.0;
  double initial_accumulator = 0.0;
  VecX sum, work;
  Index t = 0;

  void check(Index n) const {
    lr.check(n);
    require_positive(eps, "eps");
    require_non_negative(lr_decay, "lr_decay");
    require_non_negative(initial_accumulator, "initial_accumulator_value");
    require_non_negative(weight_decay, "weight_decay");
  }
  void reset(Index n) {
    sum = VecX::Constant(n, initial_accumulator);
    t = 0;
  }
  template <class Visitor>
  void state(Visitor&& visit) {
    visit("sum", sum);
    visit("t", t);
  }
  double apply(Eigen::Ref<VecX> x, const CVecRef& g0, double scale = 1.0) {
    if (sum.size() != x.size()) reset(x.size());
    const VecX& g = decayed(work, g0, weight_decay, x);
    ++t;
    const double decay = 1.0 / (1.0 + double(t - 1) * lr_decay);
    sum.array() += g.array().square();
    descend_by(x, lr, scale * decay, (g.array() / (sum.array().sqrt() + eps)).matrix());
    return scale * decay * lr.first();
  }
};

/// RMSProp as torch.optim.RMSprop (not centred, no momentum):
/// v <- alpha v + (1 - alpha) g^2;  w <- w - lr g / (sqrt(v) + eps).
struct RMSProp {
  LearningRate lr;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  VecX v, work;

  void check(Index n) const {
    lr.check(n);
    require_unit(alpha, "alpha");
    require_positive(eps, "eps");
    require_non_negative(weight_decay, "weight_decay");
  }
  void reset(Index n) { v = VecX::Zero(n); }
  template <class Visitor>
  void state(Visitor&& visit) {
    visit("v", v);
  }
  double apply(Eigen::Ref<VecX> x, const CVecRef& g0, double scale = 1.0) {
    if (v.size() != x.size()) reset(x.size());
    const VecX& g = decayed(work, g0, weight_decay, x);
    v = alpha * v + (1.0 - alpha) * g.cwiseAbs2();
    descend_by(x, lr, scale, (g.array() / (v.array().sqrt() + eps)).matrix());
    return scale * lr.first();
  }
};

/// Adam as torch.optim.Adam, and AdamW (decoupled weight decay) when `decoupled`:
///   AdamW: w <- w (1 - lr weight_decay);   Adam: g <- g + weight_decay w
///   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
///   w <- w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
struct Adam {
  LearningRate lr;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled = false;
  VecX m, v, work;
  Index t = 0;

  void check(Index n) const {
    lr.check(n);
    require_unit(beta1, "betas[0]");
    require_unit(beta2, "betas[1]");
    require_positive(eps, "eps");
    require_non_negative(weight_decay, "weight_decay");
  }
  void reset(Index n) {
    m = VecX::Zero(n);
    v = VecX::Zero(n);
    t = 0;
  }
  template <class Visitor>
  void state(Visitor&& visit) {
    visit("m", m);
    visit("v", v);
    visit("t", t);
  }
  /// One step, fused. The bias corrections are folded into constants: the step
  /// lr (m / c1) / (sqrt(v / c2) + eps) is (a m) / (sqrt(v) k2 + eps) with a = lr / c1 and
  /// k2 = 1 / sqrt(c2), so one division and one square root per parameter. The step agrees
  /// with torch.optim's expression to rounding, not bit for bit.
  ///
  /// With AVX2 and FMA (the `_core_avx2` build) the parameters are walked once, four at a
  /// time: the divider, shared by the division and the square root, was what a step waited
  /// on, so the square root is computed on the FMA units instead (adam_sqrt below) and the
  /// division alone uses the divider (a division on the FMA units, a reciprocal estimate, two
  /// Newton steps and a correction, was measured slower: about 60 operations per four
  /// parameters). Large vectors (kParallelParams) are split over the threads, in blocks of
  /// four: every parameter's arithmetic is the same whatever the split (the last, partial
  /// block runs the same four-wide code on a padded copy). Without AVX2 the parameters are
  /// walked in chunks that stay in the L1 cache, by Eigen's expressions.
  double apply(Eigen::Ref<VecX> x, const CVecRef& g, double scale = 1.0) {
    if (m.size() != x.size()) reset(x.size());
    ++t;
    const double k1 = 1.0 / (1.0 - std::pow(beta1, double(t)));
    const double k2 = 1.0 / std::sqrt(1.0 - std::pow(beta2, double(t)));
    const double rate = scale * lr.first();
#if DESCEND_ADAM_AVX2
    const Index n = x.size();
    const Index blocks = (n + 3) / 4;
    const int chunks = n >= kParallelParams ? chunks_for(double(n), default_threads(),
                                                         double(kParallelParams) / 2.0)
                                            : 1;
    parallel_chunks(blocks, chunks, [&](int, Index first, Index last) {
      step_range(x.data(), g.data(), 4 * first, std::min(n, 4 * last), scale, k1, k2);
    });
#else
    const double coupled = decoupled ? 0.0 : weight_decay;  // added to the gradient
    const bool shrink = decoupled && weight_decay != 0.0;   // AdamW's decay of w
    const Index n = x.size();
    if (work.size() != kChunk) work.resize(kChunk);
    for (Index begin = 0; begin < n; begin += kChunk) {
      const Index len = std::min(kChunk, n - begin);
      auto xs = x.segment(begin, len).array();
      auto ms = m.segment(begin, len).array();
      auto vs = v.segment(begin, len).array();
      auto gd = work.head(len).array();
      if (shrink) {
        if (lr.scalar())
          xs *= 1.0 - rate * weight_decay;
        else
          xs *= 1.0 - scale * weight_decay * lr.rates.segment(begin, len).array();
      }
      if (coupled != 0.0)
        gd = g.segment(begin, len).array() + coupled * xs;
      else
        gd = g.segment(begin, len).array();
      ms = beta1 * ms + (1.0 - beta1) * gd;
      vs = beta2 * vs + (1.0 - beta2) * gd.square();
      gd = (ms * k1) / (vs.sqrt() * k2 + eps);  // the step direction, in the buffer
      if (lr.scalar())
        xs -= rate * gd;
      else
        xs -= scale * lr.rates.segment(begin, len).array() * gd;
    }
#endif
    return rate;
  }

  static constexpr Index kChunk = 512;  ///< 4 KiB per vector: the chunk's five stay in L1
  /// Parameters from which a step is split over threads (about 0.3 ms of work per thread).
  /// High on purpose: on a loaded machine a worker woken per step waits for a core, and a
  /// split step of 89,610 parameters (the MNIST-shaped network) took twice as long as one
  /// thread's (measured); below this size one thread is within a few percent of the best.
  static constexpr Index kParallelParams = Index(1) << 18;

 private:
#if DESCEND_ADAM_AVX2
  /// A step's constants, broadcast once per call: read from the members inside the loop they
  /// were reloaded at every block (the stores through x, m and v might alias them).
  struct Step4 {
    __m256d beta1, one_minus_beta1, beta2, one_minus_beta2, k2, eps;
    __m256d a;       ///< rate k1 (scalar rate), or scale k1 (times each rate)
    __m256d keep;    ///< AdamW: 1 - rate weight_decay (scalar rate)
    __m256d decay;   ///< AdamW: scale weight_decay (per-coordinate rates); Adam: weight_decay
    bool shrink, coupled;
  };

  /// The step of parameters [begin, end): begin a multiple of 4, end a multiple of 4 or n.
  void step_range(double* x, const double* g, Index begin, Index end, double scale, double k1,
                  double k2) {
    const bool scalar_rate = lr.scalar();
    const double* rates = scalar_rate ? nullptr : lr.rates.data();
    const double rate = scale * lr.first();
    Step4 c;
    c.beta1 = _mm256_set1_pd(beta1);
    c.one_minus_beta1 = _mm256_set1_pd(1.0 - beta1);
    c.beta2 = _mm256_set1_pd(beta2);
    c.one_minus_beta2 = _mm256_set1_pd(1.0 - beta2);
    c.k2 = _mm256_set1_pd(k2);
    c.eps = _mm256_set1_pd(eps);
    c.a = _mm256_set1_pd(rates ? scale * k1 : rate * k1);
    c.shrink = decoupled && weight_decay != 0.0;
    c.coupled = !decoupled && weight_decay != 0.0;
    c.keep = _mm256_set1_pd(1.0 - rate * weight_decay);
    c.decay = _mm256_set1_pd(decoupled ? scale * weight_decay : weight_decay);
    double* mp = m.data();
    double* vp = v.data();
    Index i = begin;
    for (; i + 4 <= end; i += 4)
      step4(x + i, g + i, mp + i, vp + i, rates ? rates + i : nullptr, c);
    if (i < end) {  // the same code on a padded copy of the last, partial block
      alignas(32) double xb[4] = {0, 0, 0, 0}, gb[4] = {0, 0, 0, 0}, mb[4] = {0, 0, 0, 0},
                         vb[4] = {1, 1, 1, 1}, rb[4] = {1, 1, 1, 1};
      const Index len = end - i;
      for (Index j = 0; j < len; ++j) {
        xb[j] = x[i + j];
        gb[j] = g[i + j];
        mb[j] = mp[i + j];
        vb[j] = vp[i + j];
        if (rates) rb[j] = rates[i + j];
      }
      step4(xb, gb, mb, vb, rates ? rb : nullptr, c);
      for (Index j = 0; j < len; ++j) {
        x[i + j] = xb[j];
        mp[i + j] = mb[j];
        vp[i + j] = vb[j];
      }
    }
  }

  /// The step of four parameters (rates null: the scalar rate).
  static void step4(double* x, const double* g, double* mp, double* vp, const double* rates,
                    const Step4& c) {
    __m256d xi = _mm256_loadu_pd(x);
    __m256d gi = _mm256_loadu_pd(g);
    if (c.shrink) {  // AdamW's decay of w, before the step
      const __m256d keep =
          rates ? _mm256_sub_pd(_mm256_set1_pd(1.0),
                                _mm256_mul_pd(c.decay, _mm256_loadu_pd(rates)))
                : c.keep;
      xi = _mm256_mul_pd(xi, keep);
    } else if (c.coupled) {  // the decay added to the gradient
      gi = _mm256_fmadd_pd(c.decay, xi, gi);
    }
    const __m256d mi =
        _mm256_fmadd_pd(c.beta1, _mm256_loadu_pd(mp), _mm256_mul_pd(c.one_minus_beta1, gi));
    const __m256d vi = _mm256_fmadd_pd(c.beta2, _mm256_loadu_pd(vp),
                                       _mm256_mul_pd(c.one_minus_beta2, _mm256_mul_pd(gi, gi)));
    _mm256_storeu_pd(mp, mi);
    _mm256_storeu_pd(vp, vi);
    const __m256d a = rates ? _mm256_mul_pd(c.a, _mm256_loadu_pd(rates)) : c.a;
    const __m256d denominator = _mm256_fmadd_pd(adam_sqrt(vi), c.k2, c.eps);
    xi = _mm256_sub_pd(xi, _mm256_div_pd(_mm256_mul_pd(a, mi), denominator));
    _mm256_storeu_pd(x, xi);
  }

  /// sqrt(v) on the FMA units when every lane is 0 or within float's range (1e-36..1e36):
  /// float's 12-bit estimate of 1/sqrt(v), two Newton steps (relative error about 1e-13), then
  /// one correction of s = v y by its residual, s + (y / 2)(v - s^2). It matched the correctly
  /// rounded sqrt to the last bit on 2^20 random inputs spread over that range (a check, not
  /// a proof). A zero lane (a weight whose gradient has always been 0: an input column of
  /// zeros, a dead ReLU unit) gives s = 0 y = 0 and a zero correction, so exactly +0 (the
  /// estimate is taken of 1e-36 there, to stay finite). Any other lane (tiny, huge, inf, nan):
  /// the divider's sqrt for the four.
  static __m256d adam_sqrt(__m256d v) {
    const __m256d tiny = _mm256_set1_pd(1e-36);
    const __m256d in_range =
        _mm256_or_pd(_mm256_and_pd(_mm256_cmp_pd(v, tiny, _CMP_GE_OQ),
                                   _mm256_cmp_pd(v, _mm256_set1_pd(1e36), _CMP_LE_OQ)),
                     _mm256_cmp_pd(v, _mm256_setzero_pd(), _CMP_EQ_OQ));
    if (_mm256_movemask_pd(in_range) != 0xF) return _mm256_sqrt_pd(v);
    const __m256d half = _mm256_set1_pd(0.5), three_halves = _mm256_set1_pd(1.5);
    const __m256d half_v = _mm256_mul_pd(half, v);
    __m256d y = _mm256_cvtps_pd(_mm_rsqrt_ps(_mm256_cvtpd_ps(_mm256_max_pd(v, tiny))));
    y = _mm256_mul_pd(y, _mm256_fnmadd_pd(half_v, _mm256_mul_pd(y, y), three_halves));
    y = _mm256_mul_pd(y, _mm256_fnmadd_pd(half_v, _mm256_mul_pd(y, y), three_halves));
    const __m256d s = _mm256_mul_pd(v, y);
    return _mm256_fmadd_pd(_mm256_mul_pd(half, y), _mm256_fnmadd_pd(s, s, v), s);
  }
#endif
};

/// Any rule, chosen at run time (the loops are instantiated once per alternative).
using AnyRule = std::variant<GradientStep, Momentum, Nesterov, AdaGrad, RMSProp, Adam>;

/// Every rule's hyperparameters in one struct; a rule uses the ones it has. The member
/// initialisers are the defaults the rules share (torch.optim's); rule_registry() sets the
/// ones that differ from rule to rule. check() refuses values outside each rule's invariants.
struct RuleParams {
  std::string kind = "gd";  ///< gd, momentum, nesterov, adagrad, rmsprop, adam or adamw
  VecX lr = VecX::Constant(1, 0.01);
  double momentum = 0.9;
  double weight_decay = 0.0;
  double lr_decay = 0.0;
  double lr_power = 1.0;  ///< gd only: the power of the decay's denominator
  double eps = 1e-8;
  double alpha = 0.99;
  double beta1 = 0.9, beta2 = 0.999;
  double initial_accumulator_value = 0.0;

  /// Every hyperparameter in its range (also those the rule `kind` does not read).
  void check() const {
    LearningRate{lr}.check_values();
    require_non_negative(weight_decay, "weight_decay");
    require_unit(momentum, "momentum");
    require_non_negative(lr_decay, "lr_decay");
    require_non_negative(lr_power, "lr_power");
    require_positive(eps, "eps");
    require_unit(alpha, "alpha");
    require_unit(beta1, "betas[0]");
    require_unit(beta2, "betas[1]");
    require_non_negative(initial_accumulator_value, "initial_accumulator_value");
  }
};

/// One entry of the rule registry: the name, the hyperparameters the rule reads besides lr
/// and weight_decay (RuleParams' field names), and its defaults.
struct RuleSpec {
  std::string kind;
  std::vector<std::string> hyperparameters;
  RuleParams defaults;
};

/// The one registry of rules. Adding a rule is a struct above, one alternative in AnyRule,
/// one entry here and one line in make_rule and rule_params.
inline const std::vector<RuleSpec>& rule_registry() {
  static const std::vector<RuleSpec> registry = [] {
    auto spec = [](const char* kind, double lr, std::vector<std::string> names) {
      RuleSpec s{kind, std::move(names), RuleParams{}};
      s.defaults.kind = kind;
      s.defaults.lr = VecX::Constant(1, lr);
      return s;
    };
    std::vector<RuleSpec> r;
    r.push_back(spec("gd", 0.01, {"lr_decay", "lr_power"}));
    r.push_back(spec("momentum", 0.01, {"momentum"}));
    r.push_back(spec("nesterov", 0.01, {"momentum"}));
    r.push_back(spec("adagrad", 0.01, {"lr_decay", "initial_accumulator_value", "eps"}));
    r.back().defaults.eps = 1e-10;
    r.push_back(spec("rmsprop", 0.01, {"alpha", "eps"}));
    r.push_back(spec("adam", 0.001, {"beta1", "beta2", "eps"}));
    r.push_back(spec("adamw", 0.001, {"beta1", "beta2", "eps"}));
    r.back().defaults.weight_decay = 0.01;
    return r;
  }();
  return registry;
}

/// The registry entry of `kind`; std::invalid_argument naming the rules for another name.
inline const RuleSpec& rule_spec(const std::string& kind) {
  std::string names;
  for (const RuleSpec& s : rule_registry()) {
    if (s.kind == kind) return s;
    names += (names.empty() ? "" : ", ") + s.kind;
  }
  throw std::invalid_argument("unknown update rule '" + kind + "'; the rules are " + names);
}

/// The rule `p` describes, after checking every hyperparameter (p.check()).
inline AnyRule make_rule(const RuleParams& p) {
  rule_spec(p.kind);  // refuses an unknown name
  p.check();
  const LearningRate rate{p.lr};
  const std::string& k = p.kind;
  if (k == "gd") return GradientStep{rate, p.weight_decay, p.lr_decay, p.lr_power, 0};
  if (k == "momentum") return Momentum{rate, p.momentum, p.weight_decay, {}};
  if (k == "nesterov") return Nesterov{rate, p.momentum, p.weight_decay, {}, {}, false};
  if (k == "adagrad")
    return AdaGrad{rate, p.lr_decay, p.eps, p.weight_decay, p.initial_accumulator_value,
                   {}, {}, 0};
  if (k == "rmsprop") return RMSProp{rate, p.alpha, p.eps, p.weight_decay, {}, {}};
  return Adam{rate, p.beta1, p.beta2, p.eps, p.weight_decay, k == "adamw", {}, {}, {}, 0};
}

inline const char* rule_name(const AnyRule& rule) {
  switch (rule.index()) {
    case 0: return "gd";
    case 1: return "momentum";
    case 2: return "nesterov";
    case 3: return "adagrad";
    case 4: return "rmsprop";
    default: return std::get<Adam>(rule).decoupled ? "adamw" : "adam";
  }
}

/// The hyperparameters a rule was made from (make_rule's inverse, for pickling).
inline RuleParams rule_params(const AnyRule& rule) {
  RuleParams p = rule_spec(rule_name(rule)).defaults;
  std::visit(
      [&](const auto& r) {
        using R = std::decay_t<decltype(r)>;
        p.lr = r.lr.rates;
        p.weight_decay = r.weight_decay;
        if constexpr (std::is_same_v<R, Momentum> || std::is_same_v<R, Nesterov>)
          p.momentum = r.mu;
        if constexpr (std::is_same_v<R, GradientStep>) {
          p.lr_decay = r.lr_decay;
          p.lr_power = r.lr_power;
        }
        if constexpr (std::is_same_v<R, AdaGrad>) {
          p.lr_decay = r.lr_decay;
          p.eps = r.eps;
          p.initial_accumulator_value = r.initial_accumulator;
        }
        if constexpr (std::is_same_v<R, RMSProp>) {
          p.alpha = r.alpha;
          p.eps = r.eps;
        }
        if constexpr (std::is_same_v<R, Adam>) {
          p.beta1 = r.beta1;
          p.beta2 = r.beta2;
          p.eps = r.eps;
        }
      },
      rule);
  return p;
}

/// One step of any rule: x <- rule(x, g) with the learning rate times `scale`, after the
/// checks a step needs (the rule writes x in place, so nothing may be half done): g of x's
/// length and finite (a NaN would spoil x and the rule's state for good), a finite scale
/// > 0, and the learning rate's length. Returns the rate used.
inline double step_rule(AnyRule& rule, Eigen::Ref<VecX> x, const CVecRef& g, double scale) {
  if (g.size() != x.size()) throw std::invalid_argument("grad must have the length of params");
  if (!std::isfinite(scale) || !(scale > 0.0))
    throw std::invalid_argument("scale must be a finite number > 0");
  if (!g.allFinite()) throw std::invalid_argument("grad contains NaN or infinity");
  return std::visit(
      [&](auto& r) {
        r.lr.check_length(x.size());
        return r.apply(x, g, scale);
      },
      rule);
}

/// An update rule with its state, for users' own loops and for minimize.
struct Stepper {
  AnyRule rule;
};

}  // namespace descend
