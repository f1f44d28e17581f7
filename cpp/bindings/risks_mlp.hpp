#pragma once
// The factory of the network objectives (risks_mlp.cpp instantiates EmpiricalRisk over dense
// X with MlpModel, float and double), kept out of risks.hpp so the GLM units do not compile
// the network. bind_mlp.cpp checks the arrays and calls it with raw pointers.

#include <cstdint>
#include <memory>
#include <vector>

#include <descend/empirical.hpp>
#include <descend/models/mlp.hpp>

namespace descend::bindings {

/// What a network objective is built with besides X.
struct MlpSpec {
  std::vector<Index> hidden;  ///< the hidden layers' widths (may be empty)
  Index n_outputs;
  Activation activation;
  OutputLoss loss;
  const std::int64_t* labels;  ///< softmax: n labels
  const void* targets;         ///< otherwise: n x n_outputs row-major in X's type
  const void* sample_weight;   ///< X's type, or null
  double l2;
  int n_threads;
};

/// A dense X (n x d) of float or double, row-major or column-major.
std::unique_ptr<EmpiricalObjective> make_mlp_risk(const MlpSpec& spec, const void* X, Index n,
                                                  Index d, bool float32, bool row_major);

}  // namespace descend::bindings
