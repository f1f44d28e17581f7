#pragma once
/// The per-block arithmetic of a fully connected neural network (multilayer perceptron).
///
/// Layers l = 0..L-1 map s_l inputs to s_{l+1} outputs (s_0 = d, the columns of X; s_L = K,
/// the outputs). For a block of rows X_b (m x d):
///   A_0 = X_b,   Z_{l+1} = A_l W_l + 1 b_l',   A_{l+1} = f(Z_{l+1}) (hidden layers),
/// and the last layer's Z_L (m x K) goes to the output loss:
///   softmax    loss_i = logsumexp(z_i) - z_{i, y_i}        (labels y_i in 0..K-1)
///   logistic   loss_i = sum_k log(1 + e^{z_ik}) - y_ik z_ik (targets 0/1, K >= 1)
///   squared    loss_i = (1/2) sum_k (z_ik - y_ik)^2         (K >= 1 real targets)
/// f is relu, tanh, logistic or identity (f' and f'' are written in terms of A = f(Z)).
///
/// Parameter layout (one flat vector, double): every weight matrix first, then every bias:
///   [ W_0 | W_1 | ... | W_{L-1} | b_0 | b_1 | ... | b_{L-1} ]
/// with W_l stored row by row as an s_l x s_{l+1} matrix (fan_in x fan_out, the layout of
/// scikit-learn's coefs_[l]), b_l of length s_{l+1} (its intercepts_[l]). The L2 penalty of
/// the skeleton covers exactly the leading block of weights (penalty_layout()).
///
/// Targets: the skeleton hands each row's target to the model as its row number (Target is
/// an int64 row id, the array 0..n-1 this model owns), and the model reads that row of its
/// own target array (labels, or an n x K row-major matrix in T). The skeleton's batch gather
/// then carries the row ids along and nothing in it needs to know a target's width.
///
/// Arithmetic: the matrix products run in T over the block (Eigen GEMM: float32 X computes in
/// float32); per-row losses are evaluated in double and the block's gradient products are
/// added, in double, to the skeleton's double accumulators (so sums over many blocks and
/// threads do not lose float32 digits). The Hessian-vector product is exact: Pearlmutter's
/// R-operator, a forward pass of directional derivatives R{.} = d/dt (.)(w + t v) at t = 0,
/// followed by the backward pass of their adjoints. The dense Hessian is built from n_params
/// such products and is meant only for small networks (the binding refuses large ones).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "../objective.hpp"
#include "../parallel.hpp"
#include "../types.hpp"

namespace descend {

enum class Activation { Relu, Tanh, Logistic, Identity };
enum class OutputLoss { Softmax, Logistic, Squared };

template <typename T>
class MlpModel {
 public:
  using Scalar = T;
  using Target = std::int64_t;  ///< the row number (see the header comment)
  using MatT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using RowMatX = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using RowMatT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  static constexpr bool kFusedRows = false;
  /// Whether gradient_block_into (a mini-batch's gradient sum written over g) exists.
  static constexpr bool kGradientInto = true;
  /// No lazy sparse steps: every weight of a network moves at every step.
  static constexpr bool kSparseSteps = false;

  /// The most parameters a network may have (one gradient then takes 16 GiB).
  static constexpr Index kMaxParams = Index(1) << 31;

  /// sizes: s_0 = d, the hidden widths, s_L = K (each >= 1, at least two entries).
  /// labels (softmax: n int64 in 0..K-1) or targets (otherwise: n x K row-major in T): one of
  /// them non-null; they must stay valid for the life of the model (the binding keeps them).
  /// n_threads (<= 0: all cores) splits a large gathered mini-batch over threads (see
  /// gradient_block).
  MlpModel(std::vector<Index> sizes, Activation activation, OutputLoss loss, Index n,
           const std::int64_t* labels, const T* targets, int n_threads = 1)
      : sizes_(std::move(sizes)), activation_(activation), loss_(loss), n_(n), labels_(labels),
        targets_(targets), n_threads_(resolve_threads(n_threads)) {
    if (sizes_.size() < 2) throw std::invalid_argument("a network needs at least one layer");
    for (const Index s : sizes_)
      if (s < 1) throw std::invalid_argument("every layer size must be >= 1");
    if (loss_ == OutputLoss::Softmax && outputs_dim() < 2)
      throw std::invalid_argument("the softmax loss needs at least 2 outputs");
    if ((loss_ == OutputLoss::Softmax) != (labels_ != nullptr) || (!labels_ && !targets_))
      throw std::invalid_argument("softmax takes labels, the other losses a target matrix");
    const Index L = layers();
    offsets_.assign(L + 1, 0);
    double total = 0.0;
    for (Index l = 0; l < L; ++l) {
      total += double(sizes_[l]) * double(sizes_[l + 1]) + double(sizes_[l + 1]);
      offsets_[l + 1] = offsets_[l] + sizes_[l] * sizes_[l + 1];
    }
    if (total > double(kMaxParams))
      throw std::invalid_argument("the network has more than 2**31 parameters");
    n_weights_ = offsets_[L];
    bias_offsets_.assign(L + 1, n_weights_);
    for (Index l = 0; l < L; ++l) bias_offsets_[l + 1] = bias_offsets_[l] + sizes_[l + 1];
    n_params_ = bias_offsets_[L];
    rows_ = std::make_shared<std::vector<std::int64_t>>(n_);
    std::iota(rows_->begin(), rows_->end(), std::int64_t(0));
  }

  /// The row ids 0..n-1 the skeleton is to be given as y.
  const std::int64_t* row_ids() const { return rows_->data(); }

  std::string name() const { return "MLP"; }
  Index layers() const { return Index(sizes_.size()) - 1; }
  Index outputs_dim() const { return sizes_.back(); }
  Index n_weights() const { return n_weights_; }
  /// The skeleton sees one output of n_params parameters; penalty_layout() says which.
  Index outputs() const { return 1; }
  Index params_per_output() const { return n_params_; }
  /// The L2-penalised parameters: the leading n_weights (every weight, no bias).
  PenaltyLayout penalty_layout() const { return {1, n_params_, n_weights_}; }

  /// Checks the row ids and the targets they stand for.
  void check_targets(const Target* y, Index n) const {
    if (n != n_) throw std::invalid_argument("y must have one entry per row of X");
    for (Index i = 0; i < n; ++i)
      if (y[i] != i) throw std::invalid_argument("the MLP's targets must be its row ids");
    const Index K = outputs_dim();
    if (labels_) {
      for (Index i = 0; i < n; ++i)
        if (labels_[i] < 0 || labels_[i] >= K)
          throw std::invalid_argument("y must hold labels 0..n_outputs-1");
    } else {
      for (Index i = 0; i < n * K; ++i)
        if (!std::isfinite(targets_[i])) throw std::invalid_argument("y must be finite");
    }
  }

  void finish_gradient(VecX& /*g*/) const {}

  Index block_rows(bool /*row_major*/, Index /*row_bytes*/) const { return 256; }
  Index hessian_block_rows(Index block_rows) const { return block_rows; }
  /// Multiply-adds per row of a forward and backward pass (three products per layer).
  double work_per_row(double /*entries*/) const { return 3.0 * double(n_weights_); }
  double hessian_work_per_row(double entries) const {
    return work_per_row(entries) * double(n_params_);
  }

  /// The weights and biases of every layer in T. In double the weights are read in place
  /// from the flat vector (no copy per step: w outlives every pass that uses its Point); in
  /// float they are cast once per pass. weights(P, l) gives layer l's either way.
  struct Point {
    std::vector<RowMatT> W;  ///< T = float: the weights, row by row; T = double: unused
    std::vector<VecT<T>> b;
    const double* flat = nullptr;  ///< T = double: the flat parameter vector
  };
  Point point(const CVecRef& w) const {
    Point P;
    point_into(w, P);
    return P;
  }
  void point_into(const CVecRef& w, Point& P) const {
    const Index L = layers();
    P.b.resize(L);
    P.flat = w.data();
    if constexpr (!std::is_same_v<T, double>) P.W.resize(L);
    for (Index l = 0; l < L; ++l) {
      if constexpr (!std::is_same_v<T, double>)
        P.W[l] = Eigen::Map<const RowMatX>(w.data() + offsets_[l], sizes_[l], sizes_[l + 1])
                     .template cast<T>();
      P.b[l] = w.segment(bias_offsets_[l], sizes_[l + 1]).template cast<T>();
    }
  }
  /// Layer l's weights (s_l x s_{l+1}) of the point P.
  Eigen::Map<const RowMatT> weights(const Point& P, Index l) const {
    if constexpr (std::is_same_v<T, double>)
      return {P.flat + offsets_[l], sizes_[l], sizes_[l + 1]};
    else
      return {P.W[l].data(), P.W[l].rows(), P.W[l].cols()};
  }

  struct Work {
    std::vector<MatT> A, D;    ///< outputs of each layer (the last: Z_L), their adjoints
    std::vector<MatT> RZ, RA;  ///< R{Z_l}, R{A_l} (hvp only)
    std::vector<MatT> RD;      ///< R{adjoint} (hvp only)
    MatT B, RB;                ///< scratch (hvp)
    RowMatT G;                 ///< a float32 weight gradient, in the layout of its double sum
    Eigen::VectorXd e;
  };

  /// One block: returns sum_i s_i loss_i and, when acc is given, adds the block's gradient
  /// sum (backpropagation) to it.
  ///
  /// A gathered block (RowMatT) is a mini-batch step, which the skeleton runs on the calling
  /// thread alone; when it holds enough work (kSplitWork multiply-adds per thread) its rows
  /// are split over the model's threads here, each with its own gradient sum, added at the
  /// end. Full passes come as blocks of X in place, already spread over threads by the
  /// skeleton, and are never split again.
  template <class Block>
  double gradient_block(const Block& Xb, const Target* y, const T* s, const Point& P,
                        bool want_value, VecX* acc, Work& work) const {
    if constexpr (std::is_same_v<Block, RowMatT>) {
      const int chunks = split_chunks(Xb.rows());
      if (acc && chunks > 1)
        return split_gradient(Xb, y, s, P, want_value, acc->data(), false, work, chunks);
    }
    return backpropagate(Xb, y, s, P, want_value, acc, work);
  }

  /// A gathered mini-batch (split over threads as gradient_block does): returns sum_i s_i
  /// loss_i and writes the gradient sum over g[0..n_params) (no zeroed accumulator to add
  /// to: each product writes its own segment). The same bits as adding to zeros.
  double gradient_block_into(const RowMatT& Xb, const Target* y, const T* s, const Point& P,
                             bool want_value, double* g, Work& work) const {
    const int chunks = split_chunks(Xb.rows());
    if (chunks > 1) return split_gradient(Xb, y, s, P, want_value, g, true, work, chunks);
    return backpropagate_into(Xb, y, s, P, want_value, g, true, work);
  }

  /// Multiply-adds per thread below which a mini-batch is not split.
  static constexpr double kSplitWork = 2e6;

 private:
  int split_chunks(Index m) const {
    const double work = double(m) * work_per_row(0.0);
    const int by_work = static_cast<int>(work / kSplitWork);
    const int by_rows = static_cast<int>(m / 16);
    return std::max(1, std::min({n_threads_, by_work, by_rows}));
  }

  /// The buffers of the threads a split batch runs on, owned by the calling thread and reused
  /// from step to step (a step then allocates nothing, and touches no fresh pages).
  struct SplitWork {
    std::vector<Work> work;    ///< chunks 1.. (chunk 0 uses the caller's)
    std::vector<VecX> parts;   ///< their gradient sums
    std::vector<double> losses;
  };

  /// out: the gradient sum, added to (overwrite false) or written over (true).
  template <class Block>
  double split_gradient(const Block& Xb, const Target* y, const T* s, const Point& P,
                        bool want_value, double* out, bool overwrite, Work& work,
                        int chunks) const {
    // The calling thread's buffers, by reference: inside the lambda, the name of a
    // thread_local would denote each worker's own (empty) instance.
    thread_local SplitWork buffers;
    SplitWork& split = buffers;
    split.work.resize(chunks - 1);
    split.parts.resize(chunks - 1);
    split.losses.assign(chunks, 0.0);
    parallel_chunks(Xb.rows(), chunks, [&](int c, Index first, Index last) {
      const auto rows = Xb.middleRows(first, last - first);
      const T* weights = s ? s + first : nullptr;
      if (c == 0) {  // the calling thread writes straight into out, with the caller's buffers
        split.losses[0] =
            backpropagate_into(rows, y + first, weights, P, want_value, out, overwrite, work);
        return;
      }
      VecX& part = split.parts[c - 1];
      part.resize(n_params_);
      split.losses[c] = backpropagate_into(rows, y + first, weights, P, want_value, part.data(),
                                           true, split.work[c - 1]);
    });
    Eigen::Map<VecX> total(out, n_params_);
    for (int c = 1; c < chunks; ++c) total += split.parts[c - 1];
    double loss = 0.0;
    for (const double l : split.losses) loss += l;
    return loss;
  }

 public:
  /// The gradient of one block on the calling thread: forward, output adjoint, backward.
  template <class Block>
  double backpropagate(const Block& Xb, const Target* y, const T* s, const Point& P,
                       bool want_value, VecX* acc, Work& work) const {
    return backpropagate_into(Xb, y, s, P, want_value, acc ? acc->data() : nullptr, false, work);
  }

  /// The same with the gradient sum added to out[0..n_params) (overwrite false) or written
  /// over it (true); out null: the loss alone.
  template <class Block>
  double backpropagate_into(const Block& Xb, const Target* y, const T* s, const Point& P,
                            bool want_value, double* out, bool overwrite, Work& work) const {
    forward(Xb, P, work);
    const Index L = layers();
    work.D.resize(L);
    const double loss = output_adjoint(y, s, want_value, work.A[L - 1], work.D[L - 1], work);
    if (!out) return loss;
    for (Index l = L - 1; l >= 0; --l) {
      if (l == 0)
        add_weight_product(Xb, work.D[0], 0, out, overwrite, work);
      else
        add_weight_product(work.A[l - 1], work.D[l], l, out, overwrite, work);
      Eigen::Map<VecX> bias(out + bias_offsets_[l], sizes_[l + 1]);
      if (overwrite)
        bias = work.D[l].colwise().sum().transpose().template cast<double>();
      else
        bias += work.D[l].colwise().sum().transpose().template cast<double>();
      if (l > 0) {
        // D_{l-1} = (D_l W_l') .* f'(A_{l-1})
        work.D[l - 1].noalias() = work.D[l] * weights(P, l).transpose();
        times_derivative(work.A[l - 1], work.D[l - 1]);
      }
    }
    return loss;
  }

  /// Adds the block's (sum_i s_i hess loss_i) v to acc, by the R-operator.
  template <class Block>
  void hvp_block(const Block& Xb, const Target* y, const T* s, const Point& P, const Point& V,
                 VecX& acc, Work& work) const {
    forward(Xb, P, work);
    const Index L = layers();
    work.RZ.resize(L);
    work.RA.resize(L);
    // Forward: R{Z_{l+1}} = R{A_l} W_l + A_l V_l + 1 v_l', R{A_{l+1}} = f'(Z) .* R{Z}.
    for (Index l = 0; l < L; ++l) {
      MatT& RZ = work.RZ[l];
      if (l == 0) {
        RZ.noalias() = Xb * weights(V, 0);
      } else {
        RZ.noalias() = work.RA[l - 1] * weights(P, l);
        RZ.noalias() += work.A[l - 1] * weights(V, l);
      }
      RZ.rowwise() += V.b[l].transpose();
      if (l < L - 1) {
        work.RA[l] = RZ;
        times_derivative(work.A[l], work.RA[l]);
      }
    }
    work.D.resize(L);
    work.RD.resize(L);
    output_adjoint(y, s, false, work.A[L - 1], work.D[L - 1], work);
    output_r_adjoint(s, work.A[L - 1], work.RZ[L - 1], work.RD[L - 1]);
    // Backward: R{grad W_l} = R{A_l}' D_l + A_l' R{D_l};
    // R{D_{l-1}} = (R{D_l} W_l' + D_l V_l') .* f' + (D_l W_l') .* f'' .* R{Z_{l-1}}.
    for (Index l = L - 1; l >= 0; --l) {
      if (l == 0) {
        add_weight_product(Xb, work.RD[0], 0, acc.data(), false, work);
      } else {
        add_weight_product(work.A[l - 1], work.RD[l], l, acc.data(), false, work);
        add_weight_product(work.RA[l - 1], work.D[l], l, acc.data(), false, work);
      }
      acc.segment(bias_offsets_[l], sizes_[l + 1]) +=
          work.RD[l].colwise().sum().transpose().template cast<double>();
      if (l > 0) {
        const MatT& A = work.A[l - 1];
        work.B.noalias() = work.D[l] * weights(P, l).transpose();
        work.RB.noalias() = work.RD[l] * weights(P, l).transpose();
        work.RB.noalias() += work.D[l] * weights(V, l).transpose();
        times_derivative(A, work.RB);
        work.RB.array() += work.B.array() * second_derivative(A).array() * work.RZ[l - 1].array();
        work.RD[l - 1].swap(work.RB);
        work.D[l - 1] = work.B;
        times_derivative(A, work.D[l - 1]);
      }
    }
  }

  /// Adds the block's sum_i s_i hess loss_i to H (all of it; the skeleton reads the lower
  /// part): one R-operator pass per parameter, for small networks only.
  template <class Block>
  void hessian_block(const Block& Xb, const Target* y, const T* s, const Point& P, MatX& H,
                     Work& work) const {
    VecX unit = VecX::Zero(n_params_), column(n_params_);
    Point V;
    for (Index j = 0; j < n_params_; ++j) {
      unit(j) = 1.0;
      point_into(unit, V);
      column.setZero();
      hvp_block(Xb, y, s, P, V, column, work);
      H.col(j) += column;
      unit(j) = 0.0;
    }
  }

 private:
  /// work.A[l] = the output of layer l (activated for hidden layers; Z_L for the last).
  template <class Block>
  void forward(const Block& Xb, const Point& P, Work& work) const {
    const Index L = layers();
    work.A.resize(L);
    for (Index l = 0; l < L; ++l) {
      // Z = 1 b' + A W: the bias written first, the product added to it (one pass less).
      MatT& Z = work.A[l];
      Z.resize(Xb.rows(), sizes_[l + 1]);
      Z.rowwise() = P.b[l].transpose();
      if (l == 0)
        Z.noalias() += Xb * weights(P, 0);
      else
        Z.noalias() += work.A[l - 1] * weights(P, l);
      if (l < L - 1) activate(Z);
    }
  }

  void activate(MatT& Z) const {
    switch (activation_) {
      case Activation::Relu: Z = Z.cwiseMax(T(0)); break;
      case Activation::Tanh: Z = Z.array().tanh(); break;
      case Activation::Logistic: Z = (T(1) + (-Z.array()).exp()).inverse(); break;
      case Activation::Identity: break;
    }
  }

  /// M .*= f'(Z), with f' written in terms of A = f(Z).
  void times_derivative(const MatT& A, MatT& M) const {
    switch (activation_) {
      case Activation::Relu: M = (A.array() > T(0)).select(M, T(0)); break;
      case Activation::Tanh: M.array() *= T(1) - A.array().square(); break;
      case Activation::Logistic: M.array() *= A.array() * (T(1) - A.array()); break;
      case Activation::Identity: break;
    }
  }

  /// f''(Z) in terms of A = f(Z) (zero for relu, almost everywhere, and identity).
  MatT second_derivative(const MatT& A) const {
    switch (activation_) {
      case Activation::Tanh:
        return (T(-2) * A.array() * (T(1) - A.array().square())).matrix();
      case Activation::Logistic:
        return (A.array() * (T(1) - A.array()) * (T(1) - T(2) * A.array())).matrix();
      default: return MatT::Zero(A.rows(), A.cols());
    }
  }

  /// The W_l segment of out (s_l x s_{l+1}, row by row) += In' D (overwrite: = In' D), the
  /// product in T, added in double.
  template <class In>
  void add_weight_product(const In& in, const MatT& D, Index l, double* out, bool overwrite,
                          Work& work) const {
    Eigen::Map<RowMatX> G(out + offsets_[l], sizes_[l], sizes_[l + 1]);
    if constexpr (std::is_same_v<T, double>) {
      if (overwrite)
        G.noalias() = in.transpose() * D;
      else
        G.noalias() += in.transpose() * D;
    } else {
      work.G.noalias() = in.transpose() * D;
      if (overwrite)
        G = work.G.template cast<double>();
      else
        G += work.G.template cast<double>();
    }
  }

  /// The loss on the block's outputs Z (m x K), in double, and D = dloss/dZ scaled by the
  /// sample weights.
  double output_adjoint(const Target* y, const T* s, bool want_value, const MatT& Z, MatT& D,
                        Work& work) const {
    const Index m = Z.rows(), K = Z.cols();
    D.resize(m, K);
    double loss = 0.0;
    for (Index i = 0; i < m; ++i) {
      const double weight = s ? double(s[i]) : 1.0;
      const Index r = Index(y[i]);
      if (loss_ == OutputLoss::Softmax) {
        // Stable log-sum-exp: shift by the largest score.
        double top = double(Z(i, 0));
        for (Index k = 1; k < K; ++k) top = std::max(top, double(Z(i, k)));
        work.e.resize(K);
        double total = 0.0;
        for (Index k = 0; k < K; ++k) total += (work.e(k) = std::exp(double(Z(i, k)) - top));
        const Index label = Index(labels_[r]);
        if (want_value) loss += weight * (top + std::log(total) - double(Z(i, label)));
        for (Index k = 0; k < K; ++k)
          D(i, k) = T(weight * (work.e(k) / total - (k == label ? 1.0 : 0.0)));
      } else {
        const T* target = targets_ + r * K;
        double row = 0.0;
        for (Index k = 0; k < K; ++k) {
          const double z = double(Z(i, k)), t = double(target[k]);
          if (loss_ == OutputLoss::Logistic) {
            // log(1 + e^z) - t z, stably; its derivative sigma(z) - t.
            if (want_value) row += std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))) - t * z;
            D(i, k) = T(weight * (sigmoid(z) - t));
          } else {
            if (want_value) row += 0.5 * (z - t) * (z - t);
            D(i, k) = T(weight * (z - t));
          }
        }
        loss += weight * row;
      }
    }
    return loss;
  }

  /// RD = R{D}: the loss's Hessian in Z (per row) times R{Z}, scaled by the sample weights.
  void output_r_adjoint(const T* s, const MatT& Z, const MatT& RZ, MatT& RD) const {
    const Index m = Z.rows(), K = Z.cols();
    RD.resize(m, K);
    Eigen::VectorXd p(K);
    for (Index i = 0; i < m; ++i) {
      const double weight = s ? double(s[i]) : 1.0;
      if (loss_ == OutputLoss::Softmax) {
        double top = double(Z(i, 0));
        for (Index k = 1; k < K; ++k) top = std::max(top, double(Z(i, k)));
        for (Index k = 0; k < K; ++k) p(k) = std::exp(double(Z(i, k)) - top);
        p /= p.sum();
        double mean = 0.0;
        for (Index k = 0; k < K; ++k) mean += p(k) * double(RZ(i, k));
        for (Index k = 0; k < K; ++k) RD(i, k) = T(weight * p(k) * (double(RZ(i, k)) - mean));
      } else if (loss_ == OutputLoss::Logistic) {
        for (Index k = 0; k < K; ++k) {
          const double q = sigmoid(double(Z(i, k)));
          RD(i, k) = T(weight * q * (1.0 - q) * double(RZ(i, k)));
        }
      } else {
        for (Index k = 0; k < K; ++k) RD(i, k) = T(weight * double(RZ(i, k)));
      }
    }
  }

  static double sigmoid(double z) {
    if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
    const double e = std::exp(z);
    return e / (1.0 + e);
  }

  std::vector<Index> sizes_;
  Activation activation_;
  OutputLoss loss_;
  Index n_;
  const std::int64_t* labels_;
  const T* targets_;
  std::vector<Index> offsets_, bias_offsets_;
  Index n_weights_ = 0, n_params_ = 0;
  int n_threads_;
  std::shared_ptr<std::vector<std::int64_t>> rows_;
};

}  // namespace descend
