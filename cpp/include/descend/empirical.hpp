#pragma once
/// The one skeleton of every empirical risk over a data matrix X (n x d):
///
///   R(W) = (1/S) sum_i s_i loss(W, x_i, y_i) + (l2/2) ||W_pen||^2 + l1 ||W_pen||_1,
///   S = sum_i s_i,
///
/// where W_pen are the penalised parameters (every weight, never an intercept; see
/// PenaltyLayout). The L1 term is in value() but not in gradient(): first-order solvers take
/// it by a proximal step.
///
/// EmpiricalRisk<Data, Model> owns what every such risk shares: the sizes, the sample weights
/// (copied and normalised), the row blocks that stay in cache, their split over threads and
/// the reduction of the per-thread sums, the mini-batch gather and prefetch, the
/// normalisation by S and the penalties. The two policies supply the rest:
///   Data   how rows are read (data/dense.hpp: row- or column-major; CSR next)
///   Model  the arithmetic on one block of rows (models/linear.hpp, models/softmax.hpp)
/// The unnormalised sums over any range of rows (sum_i s_i loss_i, its gradient, Hessian and
/// Hessian-vector product, in the caller's weight units) are public: a distributed fit adds
/// them across chunks of rows held by different objectives.

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "huge_pages.hpp"
#include "objective.hpp"
#include "parallel.hpp"

namespace descend {

/// The sum of per-thread partial results (at least one).
template <class V>
V sum_parts(const std::vector<V>& parts) {
  V total = parts.front();
  for (std::size_t c = 1; c < parts.size(); ++c) total += parts[c];
  return total;
}

/// One plain SGD step of a linear model on a batch of rows (solvers/row_steps.hpp), with the
/// weights held scaled: w = scale v on the penalised weights x[0..d), the intercept x[d]
/// (when fitted) as itself. With slope_k = s_k loss'(z_k, y_k) / W at the margins
/// z_k = scale (x_k . v) + b (W the batch's expected weight, as batch_value_and_gradient):
///   v_j <- v_j - step sum_k slope_k x_kj,  then (dense rows) v_j <- ST(v_j, threshold)
///   b   <- b - rate (sum_k slope_k + decay b)
struct RowStep {
  double scale = 1.0;
  double step = 0.0;
  double threshold = 0.0;  ///< L1 soft threshold on every weight (dense rows only), 0: none
  double rate = 0.0;
  double decay = 0.0;      ///< the intercept's weight decay
  double intercept_share = 1.0;  ///< the share of its step the intercept takes
  bool update = true;      ///< false: the batch's loss only, x unchanged
  bool penalty = false;    ///< dense rows: set squares = ||w||^2, absolutes = ||w||_1 of
                           ///< w = scale v before the step (each 0 where its penalty is;
                           ///< of w, not v: ||v|| overflows as the scale falls). CSR rows:
                           ///< set them after the step over the batch's stored entries
                           ///< only, w = after v (scikit-learn's WeightVector norms on
                           ///< sparse rows), and moved = whether any slope was nonzero
  double after = 1.0;      ///< CSR rows with penalty: the scale after the step
  double squares = 0.0, absolutes = 0.0;
  bool moved = false;
  /// Rows of later steps to ask for meanwhile (none when null): `ahead`, their data, targets
  /// and weights (prefetch_rows); `starts`, their positions (prefetch_row_starts); `warm`
  /// (sparse rows, already asked for), their columns' weights, read at random otherwise.
  const Index *ahead = nullptr, *starts = nullptr, *warm = nullptr;
  Index m_ahead = 0, m_starts = 0, m_warm = 0;
};

/// The runtime interface of the empirical risks beyond Objective: unnormalised sums over rows
/// [begin, end), without penalty and without the 1/S, in the caller's sample-weight units.
class EmpiricalObjective : public Objective {
 public:
  /// Whether row_step is available (a linear model on row-major dense or CSR rows), and
  /// whether its rows are dense (each step then touches every weight).
  virtual bool has_row_steps() const { return false; }
  virtual bool row_steps_dense() const { return false; }
  /// One step on rows[0..m) as RowStep says: returns the batch's data loss
  /// (1/W) sum_k s_k loss(z_k, y_k), without the penalties, at the point before the step.
  virtual double row_step(double* /*x*/, const Index* /*rows*/, Index /*m*/,
                          RowStep& /*s*/) const {
    throw std::logic_error(name() + " has no row steps");
  }
  /// sum_i s_i over the rows.
  virtual double weight_sum(Index begin, Index end) const = 0;
  /// Returns sum_i s_i loss_i and, when g is given, writes sum_i s_i grad loss_i into it.
  virtual double loss_sum(const CVecRef& w, Index begin, Index end, VecRef* g) const = 0;
  /// Writes sum_i s_i hess loss_i into H.
  virtual void hessian_sum(const CVecRef& w, Index begin, Index end, Eigen::Ref<MatX> H) const = 0;
  /// Writes (sum_i s_i hess loss_i) v into out.
  virtual void hvp_sum(const CVecRef& w, const CVecRef& v, Index begin, Index end,
                       VecRef out) const = 0;
  /// The mean sample weight (caller's units) a batch of m rows is divided by m times; by
  /// default this objective's own S / n. An objective on one chunk of a larger data set
  /// (descend.dask) sets the whole set's, so that its batches step as the whole set's do.
  virtual void set_batch_mean_weight(double /*mean*/) {
    throw std::logic_error(name() + " cannot change its batches' mean weight");
  }
  /// batch_value_and_gradient on rows[0..m) while the rows next[0..m_next) (a later batch of
  /// a shuffled epoch) are asked for: a risk that reads its rows in place spreads those
  /// prefetches over the batch's own arithmetic, so that the memory requests overlap the
  /// work instead of queueing before it. By default: prefetch_rows, then the batch.
  virtual double batch_value_and_gradient_ahead(const CVecRef& w, const Index* rows, Index m,
                                                VecRef g, const Index* next,
                                                Index m_next) const {
    prefetch_rows(next, m_next);
    return batch_value_and_gradient(w, rows, m, g);
  }
};

/// Whether a model says itself which parameters are penalised (penalty_layout()); without
/// it they are the first d of each output's p (the GLMs, softmax).
template <class Model, class = void>
struct has_penalty_layout : std::false_type {};
template <class Model>
struct has_penalty_layout<
    Model, std::void_t<decltype(std::declval<const Model&>().penalty_layout())>>
    : std::true_type {};

/// Whether a model writes a gathered mini-batch's gradient sum over a vector itself
/// (gradient_block_into, the network): the skeleton then keeps no zeroed accumulator.
template <class Model, class = void>
struct has_gradient_into : std::false_type {};
template <class Model>
struct has_gradient_into<Model, std::enable_if_t<Model::kGradientInto>> : std::true_type {};

/// Whether a model of several outputs gives the lazy sparse steps' loss slopes (row_slopes on
/// outputs() margins per row: softmax); a model with kSparseSteps gives them for one output.
template <class Model, class = void>
struct has_output_slopes : std::false_type {};
template <class Model>
struct has_output_slopes<Model, std::enable_if_t<Model::kOutputSlopes>> : std::true_type {};

template <class Data, class Model>
class EmpiricalRisk final : public EmpiricalObjective {
 public:
  using T = typename Data::Scalar;
  using Target = typename Model::Target;
  using Point = typename Model::Point;
  using Work = typename Model::Work;
  static_assert(std::is_same_v<T, typename Model::Scalar>, "data and model scalar types differ");

  /// y: n targets (checked by the model); sample_weight: n finite weights >= 0 or null (all
  /// ones), copied; l2, l1 >= 0; n_threads <= 0: all cores. The data and y must stay valid
  /// for the life of the objective (the binding keeps the arrays).
  EmpiricalRisk(Data data, Model model, const Target* y, const T* sample_weight, double l2,
                double l1, int n_threads)
      : data_(std::move(data)), model_(std::move(model)), y_(y), n_(data_.rows()),
        d_(data_.cols()), K_(model_.outputs()), p_(model_.params_per_output()), l2_(l2),
        l1_(l1), n_threads_(resolve_threads(n_threads)) {
    if (n_ < 1 || d_ < 1)
      throw std::invalid_argument("X must have at least one row and one column");
    if (!(l2 >= 0.0) || !std::isfinite(l2)) throw std::invalid_argument("l2 must be >= 0");
    if (!(l1 >= 0.0) || !std::isfinite(l1)) throw std::invalid_argument("l1 must be >= 0");
    model_.check_targets(y_, n_);
    set_weights(sample_weight);
    block_rows_ = model_.block_rows(Data::kRowsInPlace, data_.row_bytes());
  }

  EmpiricalRisk(const EmpiricalRisk&) = delete;  // sw_ points into weights_
  EmpiricalRisk& operator=(const EmpiricalRisk&) = delete;

  Index n_params() const override { return K_ * p_; }
  Index n_samples() const override { return n_; }
  bool has_hessian() const override { return true; }
  std::string name() const override { return model_.name(); }
  double l1() const override { return l1_; }
  PenaltyLayout l1_layout() const override { return penalised(); }

  double value(const CVecRef& w) const override { return mean(w, nullptr, true); }
  double value_and_gradient(const CVecRef& w, VecRef g) const override {
    return mean(w, &g, true);
  }
  void gradient(const CVecRef& w, VecRef g) const override { mean(w, &g, false); }

  double batch_value_and_gradient(const CVecRef& w, const Index* rows, Index m,
                                  VecRef g) const override {
    return batch(w, rows, m, g, nullptr, 0);
  }
  double batch_value_and_gradient_ahead(const CVecRef& w, const Index* rows, Index m, VecRef g,
                                        const Index* next, Index m_next) const override {
    return batch(w, rows, m, g, next, m_next);
  }

  /// The rows' data, and their targets and weights: read at random in a shuffled epoch (a
  /// lazy step's loss otherwise waited on y[i] more than on anything else).
  void prefetch_rows(const Index* rows, Index m) const override {
    data_.prefetch(rows, m);
    for (Index k = 0; k < m; ++k) {
      if (rows[k] < 0 || rows[k] >= n_) continue;
      if (y_) prefetch_range(y_ + rows[k], Index(sizeof(Target)));
      if (sw_) prefetch_range(sw_ + rows[k], Index(sizeof(T)));
    }
  }
  void prefetch_row_starts(const Index* rows, Index m) const override {
    data_.prefetch_starts(rows, m);
  }

 private:
  /// One mini-batch's mean loss and gradient (penalties included), asking for the rows
  /// next[0..m_next) meanwhile (none when null).
  double batch(const CVecRef& w, const Index* rows, Index m, VecRef g, const Index* next,
               Index m_next) const {
    check_size(w, "w");
    check_size(g, "gradient");
    const double expected = expected_batch_weight(rows, m);
    // Per-thread buffers, reused from call to call: a step allocates nothing.
    thread_local Work work;
    thread_local VecX acc;
    thread_local typename Data::Gathered Xg;
    thread_local std::vector<Target> yg;
    thread_local std::vector<T> sg;
    thread_local Point P;
    model_.point_into(w, P);
    // The next batch's rows are asked for a few at a time, between this batch's rows
    // (ahead(k, count): rows next[k..k+count)).
    const auto ahead = [this, next, m_next](Index k, Index count) {
      for (Index j = k; j < std::min(k + count, m_next); ++j) prefetch_row(next[j]);
    };
    if constexpr (Data::kRowsInPlace && Model::kFusedRows) {
      // Rows are read in place.
      acc.setZero(K_ * p_);
      const double loss = model_.gradient_rows(
          data_.data(), [rows](Index i) { return rows[i]; }, m, y_, sw_, P, true, acc, work, ahead);
      if (m_next > m) ahead(m, m_next - m);
      model_.finish_gradient(acc);
      return loss / expected + mean_and_penalty(acc.data(), expected, w, g);
    } else {
      // Otherwise gather the batch into a contiguous block first.
      if constexpr (Data::kRowsInPlace) {
        data_.gather(rows, m, Xg, ahead);
        if (m_next > m) ahead(m, m_next - m);
      } else {
        if (next) prefetch_rows(next, m_next);
        data_.gather(rows, m, Xg);
      }
      yg.resize(m);
      sg.resize(sw_ ? m : 0);
      for (Index k = 0; k < m; ++k) {
        yg[k] = y_[rows[k]];
        if (sw_) sg[k] = sw_[rows[k]];
      }
      const T* sk = sw_ ? sg.data() : nullptr;
      if constexpr (has_gradient_into<Model>::value) {
        // The model writes its gradient sum over g, which is then scaled in place.
        const double loss = model_.gradient_block_into(Xg, yg.data(), sk, P, true, g.data(), work);
        return loss / expected + mean_and_penalty(g.data(), expected, w, g);
      } else {
        acc.setZero(K_ * p_);
        const double loss = model_.gradient_block(Xg, yg.data(), sk, P, true, &acc, work);
        model_.finish_gradient(acc);
        return loss / expected + mean_and_penalty(acc.data(), expected, w, g);
      }
    }
  }

  /// Row i's data (towards L2 where rows are contiguous: it is read a batch or two later),
  /// target and weight.
  void prefetch_row(Index i) const {
    if (i < 0 || i >= n_) return;
    if constexpr (Data::kRowsInPlace)
      data_.prefetch_row_l2(i);
    else
      data_.prefetch(&i, 1);
    if (y_) prefetch_range(y_ + i, Index(sizeof(Target)));
    if (sw_) prefetch_range(sw_ + i, Index(sizeof(T)));
  }

  /// g = acc / expected (acc: the batch's gradient sums) plus the L2 penalty's gradient l2 w
  /// on the penalised parameters, by chunks that stay in L1 (the quotient, the penalty's
  /// gradient and its value's sums in one pass instead of four); returns the penalties' value.
  /// The gradient has the bits of dividing, then adding l2 w (add_l2); the quotient is a
  /// product by 1 / expected when that is exact (expected a power of two: a batch of 32
  /// unweighted rows), a division otherwise.
  double mean_and_penalty(const double* sums, double expected, const CVecRef& w, VecRef g) const {
    const Eigen::Map<const VecX> acc(sums, K_ * p_);  // may be g itself: read, then written
    int exponent = 0;
    const bool exact = std::frexp(expected, &exponent) == 0.5;
    const double inverse = 1.0 / expected;
    const auto mean = [&](Index begin, Index count) {
      if (exact)
        g.segment(begin, count) = acc.segment(begin, count) * inverse;
      else
        g.segment(begin, count) = acc.segment(begin, count) / expected;
    };
    const PenaltyLayout layout = penalised();
    double squares = 0.0, absolutes = 0.0;
    Index done = 0;  // parameters [0, done) written
    for (Index k = 0; k < layout.blocks; ++k) {
      const Index first = k * layout.stride, last = first + layout.length;
      if (first > done) mean(done, first - done);
      for (Index begin = first; begin < last; begin += kChunk) {
        const Index count = std::min(kChunk, last - begin);
        mean(begin, count);
        const auto wk = w.segment(begin, count);
        if (l2_ != 0.0) {
          g.segment(begin, count) += l2_ * wk;
          squares += wk.squaredNorm();
        }
        if (l1_ != 0.0) absolutes += wk.template lpNorm<1>();
      }
      done = last;
    }
    if (K_ * p_ > done) mean(done, K_ * p_ - done);
    return 0.5 * l2_ * squares + l1_ * absolutes;
  }

  /// Parameters per chunk of mean_and_penalty (8 KB of each vector).
  static constexpr Index kChunk = 1024;

 public:

  // ---- row steps (plain SGD on a linear model, solvers/row_steps.hpp) ----
  // Dense rows of float32 keep the batch path: its margins are float32 sums (the row steps'
  // are double), and the float32 runs replay each other bit for bit (descend.dask's chunks).
  static constexpr bool kRowSteps =
      Model::kSparseSteps &&
      (Data::kSparse || (Data::kRowsInPlace && std::is_same_v<T, double>));
  bool has_row_steps() const override { return kRowSteps; }
  bool row_steps_dense() const override { return kRowSteps && !Data::kSparse; }
  /// Everything inlined: per row one margin dot and one loss slope, then one axpy (dense
  /// rows: over all d weights; CSR: over the row's entries, duplicates adding up).
  DESCEND_FLATTEN double row_step(double* x, const Index* rows, Index m,
                                  RowStep& s) const override {
    if constexpr (kRowSteps) {
      const double expected = expected_batch_weight(rows, m);
      const bool intercept = p_ > d_;
      if (s.m_starts > 0) data_.prefetch_starts(s.starts, s.m_starts);
      for (Index k = 0; k < s.m_ahead; ++k) prefetch_row(s.ahead[k]);  // dense: into L2
      if constexpr (Data::kSparse) {
        for (Index k = 0; k < s.m_warm; ++k) {
          const Index i = s.warm[k];
          if (i < 0 || i >= n_) continue;
          data_.for_each_in_row(i, [x](Index j, T) { prefetch_range(x + j, 1); });
        }
      } else if (s.penalty) {
        const Eigen::Map<const VecX> v(x, d_);
        s.squares = l2_ != 0.0 ? (s.scale * v).squaredNorm() : 0.0;
        s.absolutes = l1_ != 0.0 ? s.scale * v.template lpNorm<1>() : 0.0;
      }
      const double b = intercept ? x[d_] : 0.0;
      // One row (scikit-learn's default batch) on the stack; more in buffers reused per
      // thread (a step allocates nothing).
      double margin, slope;
      double *margins = &margin, *slopes = &slope;
      if (m > 1) {
        thread_local std::vector<double> buffer;
        buffer.resize(2 * std::size_t(m));
        margins = buffer.data();
        slopes = margins + m;
      }
      for (Index k = 0; k < m; ++k) margins[k] = b + s.scale * row_dot(rows[k], x);
      const double loss =
          model_.row_slopes(margins, rows, m, y_, sw_, 1.0 / expected, slopes) / expected;
      if (!s.update) return loss;
      double total = 0.0;
      if constexpr (Data::kSparse) {
        if (s.penalty) {
          // The axpy, and the squared norm of the weights it wrote, each as w = after v just
          // after its write (scikit-learn's WeightVector::add; a repeated column counts at
          // each). CSR rows take row steps only without L1 (row_steps.hpp): no absolutes.
          double squares = 0.0;
          bool moved = false;
          for (Index k = 0; k < m; ++k) {
            total += slopes[k];
            moved = moved || slopes[k] != 0.0;
            squares += data_.add_row_squares(rows[k], -s.step * slopes[k], s.after, x);
          }
          s.squares = squares;
          s.absolutes = 0.0;
          s.moved = moved;
        }
      }
      if (!Data::kSparse || !s.penalty) {
        for (Index k = 0; k < m; ++k) {
          total += slopes[k];
          add_row(rows[k], -s.step * slopes[k], x);
        }
      }
      if (!Data::kSparse && s.threshold > 0.0) {
        for (Index j = 0; j < d_; ++j) {
          const double magnitude = std::abs(x[j]) - s.threshold;
          x[j] = magnitude > 0.0 ? std::copysign(magnitude, x[j]) : 0.0;
        }
      }
      if (intercept) x[d_] -= s.intercept_share * s.rate * (total + s.decay * x[d_]);
      return loss;
    } else {
      return EmpiricalObjective::row_step(x, rows, m, s);
    }
  }

 private:
  /// x_i . v (v: the first d entries of x), in double. (Templates: instantiated only for
  /// the data that have row steps.)
  template <class D = Data>
  double row_dot(Index i, const double* x) const {
    if constexpr (D::kSparse) {
      return data_.row_dot(i, x);
    } else {
      const Eigen::Map<const VecT<T>> row(data_.row(i), d_);
      const Eigen::Map<const VecX> v(x, d_);
      if constexpr (std::is_same_v<T, double>)
        return row.dot(v);
      else
        return row.template cast<double>().dot(v);
    }
  }
  /// v += c x_i.
  template <class D = Data>
  void add_row(Index i, double c, double* x) const {
    if constexpr (D::kSparse) {
      data_.add_row(i, c, x);
    } else {
      const Eigen::Map<const VecT<T>> row(data_.row(i), d_);
      Eigen::Map<VecX> v(x, d_);
      if constexpr (std::is_same_v<T, double>)
        v += c * row;
      else
        v += c * row.template cast<double>();
    }
  }

 public:
  // ---- sparse batches (lazy steps, solvers/lazy_steps.hpp) ----
  static constexpr bool kSparseBatches = Data::kSparse && Model::kSparseSteps;
  /// The lazy steps' batches: one output (kSparseSteps) or several (has_output_slopes).
  static constexpr bool kLazyBatches =
      Data::kSparse && (Model::kSparseSteps || has_output_slopes<Model>::value);
  double l2() const override { return l2_; }
  bool has_sparse_batches() const override { return kLazyBatches; }
  bool batch_entries(const Index* rows, Index m, std::vector<Index>& columns,
                     std::vector<double>& values, std::vector<Index>& ends) const override {
    if constexpr (kLazyBatches) {
      for (Index k = 0; k < m; ++k) {
        if (rows[k] < 0 || rows[k] >= n_) throw std::out_of_range("batch row index out of range");
        std::size_t at = columns.size();
        columns.resize(at + std::size_t(data_.row_size(rows[k])));
        values.resize(columns.size());
        data_.for_each_in_row(rows[k], [&](Index j, T v) {
          columns[at] = j;
          values[at++] = double(v);
        });
        ends.push_back(Index(columns.size()));
      }
      return m == 1 && data_.rows_distinct();
    } else {
      return EmpiricalObjective::batch_entries(rows, m, columns, values, ends);
    }
  }
  double batch_slopes(const double* margins, const Index* rows, Index m,
                      double* slopes) const override {
    if constexpr (kLazyBatches) {
      const double expected = expected_batch_weight(rows, m);
      return model_.row_slopes(margins, rows, m, y_, sw_, 1.0 / expected, slopes) / expected;
    } else {
      return EmpiricalObjective::batch_slopes(margins, rows, m, slopes);
    }
  }

  /// Feature j's weighted mean square plus l2 for each output's weight j (1 where both are
  /// zero), 1 for an intercept. A model with its own parameter layout (the network) has no
  /// per-feature scale and gives none. Computed once (one pass over X) and kept: a run asks
  /// for them twice (the stop test and the quasi-Newton metric), and the data never change.
  bool parameter_scales(VecX& scales) const override {
    if constexpr (has_penalty_layout<Model>::value) {
      return false;
    } else {
      std::call_once(scales_once_, [this] {
        VecX moments = VecX::Zero(d_);
        data_.add_column_squares(sw_, moments);
        scales_.setOnes(K_ * p_);
        for (Index j = 0; j < d_; ++j) {
          const double scale = moments(j) / weight_sum_ + l2_;
          if (!(scale > 0.0) || !std::isfinite(scale)) continue;  // a column of zeros
          for (Index k = 0; k < K_; ++k) scales_(k * p_ + j) = scale;
        }
      });
      scales = scales_;
      return true;
    }
  }

  void hessian(const CVecRef& w, Eigen::Ref<MatX> H) const override {
    hessian_sum_scaled(w, 0, n_, H);
    H /= weight_sum_;
    penalised().for_each(H.diagonal(), [&](auto segment) { segment.array() += l2_; });
  }

  void hvp(const CVecRef& w, const CVecRef& v, VecRef out) const override {
    hvp_sum_scaled(w, v, 0, n_, out);
    out /= weight_sum_;
    add_l2(v, out);
  }

  // ---- unnormalised sums (EmpiricalObjective) ----
  void set_batch_mean_weight(double mean) override {
    if (!(mean > 0.0) || !std::isfinite(mean))
      throw std::invalid_argument("the batch mean weight must be finite and > 0");
    batch_mean_weight_ = mean / weight_scale_;
  }

  double weight_sum(Index begin, Index end) const override {
    check_range(begin, end);
    if (!sw_) return double(end - begin);
    double total = 0.0;
    for (Index i = begin; i < end; ++i) total += double(sw_[i]);
    return total * weight_scale_;
  }

  double loss_sum(const CVecRef& w, Index begin, Index end, VecRef* g) const override {
    check_range(begin, end);
    const double loss = loss_sum_scaled(w, begin, end, g, true, 1.0, weight_scale_);
    return loss * weight_scale_;
  }

  void hessian_sum(const CVecRef& w, Index begin, Index end, Eigen::Ref<MatX> H) const override {
    check_range(begin, end);
    hessian_sum_scaled(w, begin, end, H);
    H *= weight_scale_;
  }

  void hvp_sum(const CVecRef& w, const CVecRef& v, Index begin, Index end,
               VecRef out) const override {
    check_range(begin, end);
    hvp_sum_scaled(w, v, begin, end, out);
    out *= weight_scale_;
  }

 private:
  /// The penalised parameters: the first d of each output's p (the intercept is not).
  PenaltyLayout penalised() const {
    if constexpr (has_penalty_layout<Model>::value) return model_.penalty_layout();
    return {K_, p_, d_};
  }

  /// The copy of the sample weights (none for null: all ones): each checked finite and >= 0,
  /// and divided by the largest, so that the cached S <= n cannot overflow (1e307 weights)
  /// and later edits of the caller's array cannot reach the objective. The weighted mean is
  /// unchanged by the scaling (up to rounding); the public sums multiply it back.
  void set_weights(const T* sample_weight) {
    weight_sum_ = double(n_);
    if (!sample_weight) return;
    T top = T(0);
    for (Index i = 0; i < n_; ++i) {
      const T s = sample_weight[i];
      if (!(s >= T(0)) || !std::isfinite(s))
        throw std::invalid_argument("sample_weight must hold finite weights >= 0");
      top = std::max(top, s);
    }
    if (!(top > T(0))) throw std::invalid_argument("sample_weight must not be all zero");
    weights_.assign(sample_weight, sample_weight + n_);
    for (T& s : weights_) s /= top;
    sw_ = weights_.data();
    weight_scale_ = double(top);
    weight_sum_ = 0.0;
    for (const T s : weights_) weight_sum_ += double(s);
    batch_mean_weight_ = weight_sum_ / double(n_);
  }

  template <class V>
  void check_size(const V& v, const char* what) const {
    if (v.size() != K_ * p_)
      throw std::invalid_argument(std::string(what) + " must have length " +
                                  std::to_string(K_ * p_) + ", got " + std::to_string(v.size()));
  }

  void check_range(Index begin, Index end) const {
    if (begin < 0 || end > n_ || begin > end)
      throw std::out_of_range("the rows [" + std::to_string(begin) + ", " + std::to_string(end) +
                              ") are not within [0, " + std::to_string(n_) + ")");
  }

  /// Checks a batch's row indices and returns the weight m rows carry on average, m S / n
  /// (in the normalised weights), by which a batch's sums are divided. Dividing by the
  /// batch's own total weight instead would make every sample weight cancel in a batch of
  /// one row (and bias larger ones); with the expected weight, a batch drawn uniformly gives
  /// an unbiased estimate of the weighted mean gradient, and an epoch's batches add up to
  /// n / m full gradients.
  double expected_batch_weight(const Index* rows, Index m) const {
    if (m < 1) throw std::invalid_argument("a batch needs at least one row");
    for (Index k = 0; k < m; ++k) {
      const Index r = rows[k];
      if (r < 0 || r >= n_) throw std::out_of_range("batch row index out of range");
    }
    return double(m) * batch_mean_weight_;
  }

  const T* weights_at(Index i0) const { return sw_ ? sw_ + i0 : nullptr; }

  void add_l2(const CVecRef& w, VecRef g) const {
    if (l2_ == 0.0) return;
    const PenaltyLayout layout = penalised();
    for (Index k = 0; k < layout.blocks; ++k)
      g.segment(k * layout.stride, layout.length) +=
          l2_ * w.segment(k * layout.stride, layout.length);
  }

  /// The penalties' value (L1 included: its non-smooth part is left to the solvers' proximal
  /// step).
  double penalty_value(const CVecRef& w) const {
    double squares = 0.0, absolutes = 0.0;
    penalised().for_each(w, [&](const auto& segment) {
      if (l2_ != 0.0) squares += segment.squaredNorm();
      if (l1_ != 0.0) absolutes += segment.template lpNorm<1>();
    });
    return 0.5 * l2_ * squares + l1_ * absolutes;
  }

  /// Adds the L2 penalty's gradient to g and returns the penalties' value.
  double add_penalty(const CVecRef& w, VecRef g) const {
    add_l2(w, g);
    return penalty_value(w);
  }

  /// The risk: (1/S) sum + penalty, with the gradient when g is given.
  double mean(const CVecRef& w, VecRef* g, bool want_value) const {
    double loss = loss_sum_scaled(w, 0, n_, g, want_value, weight_sum_) / weight_sum_;
    if (g) {
      loss += add_penalty(w, *g);
    } else {
      loss += penalty_value(w);
    }
    return loss;
  }

  /// sum_i s_i loss_i over [begin, end) with the normalised weights (and the gradient sum,
  /// divided by g_divide and times g_times, into g when given): the rows in cached blocks,
  /// the blocks split over threads.
  double loss_sum_scaled(const CVecRef& w, Index begin, Index end, VecRef* g, bool want_value,
                         double g_divide = 1.0, double g_times = 1.0) const {
    check_size(w, "w");
    if (g) check_size(*g, "gradient");
    const Point P = model_.point(w);
    const Index rows = end - begin;
    const double work = double(rows) * model_.work_per_row(data_.entries_per_row());
    const int chunks = chunks_for(work, n_threads_);
    std::vector<double> losses(chunks, 0.0);
    std::vector<VecX> parts = zero_parts_on_huge_pages(g ? chunks : 0, K_ * p_);
    parallel_chunks(rows, chunks, [&](int c, Index first, Index last) {
      Work work;
      VecX* acc = g ? &parts[c] : nullptr;
      if constexpr (kSparseBatches) {  // the fused sparse kernel takes the chunk whole
        losses[c] += model_.sparse_gradient_rows(data_, begin + first, last - first, y_, sw_,
                                                 w, acc, want_value);
        return;
      }
      for (Index i0 = begin + first; i0 < begin + last; i0 += block_rows_) {
        const Index m = std::min(block_rows_, begin + last - i0);
        if constexpr (Data::kRowsInPlace && Model::kFusedRows) {
          if (acc) {  // the fused kernel, on rows in place
            losses[c] += model_.gradient_rows(data_.data(), [i0](Index i) { return i0 + i; }, m,
                                              y_, sw_, P, want_value, *acc, work);
            continue;
          }
        }
        losses[c] += model_.gradient_block(data_.block(i0, m), y_ + i0, weights_at(i0), P,
                                           want_value, acc, work);
      }
    });
    if (g) {  // the parts added in place (in chunk order), then scaled into g: one pass each
      VecX& total = parts.front();
      for (std::size_t c = 1; c < parts.size(); ++c) total += parts[c];
      model_.finish_gradient(total);
      *g = total / g_divide * g_times;  // the bits of dividing, then multiplying, g in place
    }
    return sum_parts(losses);
  }

  void hessian_sum_scaled(const CVecRef& w, Index begin, Index end, Eigen::Ref<MatX> H) const {
    check_size(w, "w");
    if (H.rows() != K_ * p_ || H.cols() != K_ * p_)
      throw std::invalid_argument("H has the wrong shape");
    const Point P = model_.point(w);
    const Index rows = end - begin;
    const Index block = model_.hessian_block_rows(block_rows_);
    const double work = double(rows) * model_.hessian_work_per_row(data_.entries_per_row());
    const int chunks = chunks_for(work, n_threads_);
    std::vector<MatX> parts(chunks, MatX::Zero(K_ * p_, K_ * p_));
    parallel_chunks(rows, chunks, [&](int c, Index first, Index last) {
      Work work;
      for (Index i0 = begin + first; i0 < begin + last; i0 += block) {
        const Index m = std::min(block, begin + last - i0);
        model_.hessian_block(data_.block(i0, m), y_ + i0, weights_at(i0), P, parts[c], work);
      }
    });
    const MatX lower = sum_parts(parts);
    H = lower.template selfadjointView<Eigen::Lower>();
  }

  void hvp_sum_scaled(const CVecRef& w, const CVecRef& v, Index begin, Index end,
                      VecRef out) const {
    check_size(w, "w");
    check_size(v, "v");
    check_size(out, "out");
    const Point P = model_.point(w);
    const Point V = model_.point(v);
    const Index rows = end - begin;
    const double work = double(rows) * model_.work_per_row(data_.entries_per_row());
    const int chunks = chunks_for(work, n_threads_);
    std::vector<VecX> parts = zero_parts_on_huge_pages(chunks, K_ * p_);
    parallel_chunks(rows, chunks, [&](int c, Index first, Index last) {
      if constexpr (kSparseBatches) {  // the fused sparse kernel takes the chunk whole
        model_.sparse_hvp_rows(data_, begin + first, last - first, y_, sw_, w, v, parts[c]);
        return;
      }
      Work work;
      for (Index i0 = begin + first; i0 < begin + last; i0 += block_rows_) {
        const Index m = std::min(block_rows_, begin + last - i0);
        model_.hvp_block(data_.block(i0, m), y_ + i0, weights_at(i0), P, V, parts[c], work);
      }
    });
    out = sum_parts(parts);
  }

  Data data_;
  Model model_;
  const Target* y_;
  std::vector<T> weights_;  ///< the normalised copy of the sample weights (empty: none)
  const T* sw_ = nullptr;   ///< weights_.data(), or null
  Index n_, d_, K_, p_;
  double l2_, l1_;
  int n_threads_;
  double weight_sum_ = 0.0;    ///< S, in the normalised weights
  mutable std::once_flag scales_once_;
  mutable VecX scales_;  ///< parameter_scales(), once computed
  double batch_mean_weight_ = 1.0;  ///< what a batch of m rows is divided by m times (S / n)
  double weight_scale_ = 1.0;  ///< the largest sample weight the normalisation divided by
  Index block_rows_ = 256;
};

}  // namespace descend
