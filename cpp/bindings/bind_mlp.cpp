// The network objective, bound as _core.Mlp (a _core.EmpiricalRisk): checks X, the targets
// and the weights, builds the core objective (risks_mlp.cpp) and forwards to it through
// DataObjective (data_objective.hpp). Only the dense Hessian is changed on the way: a
// network's is built from n_params Hessian-vector products, so it is refused beyond
// kMaxDenseHessianParams parameters (newton-cg needs only the products).

#include <memory>
#include <string>
#include <vector>

#include "conversions.hpp"
#include "data_objective.hpp"
#include "pybind.hpp"
#include "risks_mlp.hpp"

namespace descend::bindings {
namespace {

/// The most parameters for which a network's dense Hessian (and so method="newton") is built.
constexpr Index kMaxDenseHessianParams = 2000;

Activation activation_of(const std::string& name) {
  if (name == "relu") return Activation::Relu;
  if (name == "tanh") return Activation::Tanh;
  if (name == "logistic") return Activation::Logistic;
  if (name == "identity") return Activation::Identity;
  throw std::invalid_argument("unknown activation '" + name +
                              "': use 'relu', 'tanh', 'logistic' or 'identity'");
}

OutputLoss loss_of(const std::string& name) {
  if (name == "softmax") return OutputLoss::Softmax;
  if (name == "logistic") return OutputLoss::Logistic;
  if (name == "squared") return OutputLoss::Squared;
  throw std::invalid_argument("unknown loss '" + name +
                              "': use 'softmax', 'logistic' or 'squared'");
}

/// The network's handle: the data objective's forwarding (data_objective.hpp), its sizes, and
/// a dense Hessian refused beyond kMaxDenseHessianParams parameters.
class MlpHandle final : public DataObjective {
 public:
  MlpHandle(std::unique_ptr<EmpiricalObjective> impl, std::vector<Index> sizes, Index n_weights)
      : DataObjective(std::move(impl)), sizes_(std::move(sizes)), n_weights_(n_weights) {}

  void hessian(const CVecRef& w, Eigen::Ref<MatX> H) const override {
    refuse_large_hessian();
    DataObjective::hessian(w, H);
  }
  void hessian_sum(const CVecRef& w, Index begin, Index end, Eigen::Ref<MatX> H) const override {
    refuse_large_hessian();
    DataObjective::hessian_sum(w, begin, end, H);
  }

  const std::vector<Index>& sizes() const { return sizes_; }
  Index n_weights() const { return n_weights_; }

 private:
  void refuse_large_hessian() const {
    if (n_params() > kMaxDenseHessianParams)
      throw std::invalid_argument(
          "the network has " + std::to_string(n_params()) +
          " parameters: its dense Hessian (method='newton') is built only up to " +
          std::to_string(kMaxDenseHessianParams) +
          " (one Hessian-vector product per parameter); use method='newton-cg' or 'lbfgs'");
  }

  std::vector<Index> sizes_;
  Index n_weights_;
};

template <typename T>
const T* targets_of(const py::array& y, Index n, Index K) {
  if (!py::array_t<T, py::array::c_style>::check_(y) || y.ndim() != 2 || y.shape(0) != n ||
      y.shape(1) != K)
    throw std::invalid_argument("y must be a C-contiguous (n_samples, n_outputs) array of X's "
                                "dtype");
  return static_cast<const T*>(y.data());
}

std::shared_ptr<MlpHandle> make_mlp(const py::array& X, const py::array& y,
                                    const std::vector<Index>& hidden, Index n_outputs,
                                    const std::string& activation, const std::string& loss,
                                    const py::object& sample_weight, double l2, int n_threads) {
  if (X.ndim() != 2) throw std::invalid_argument("X must be a 2-D array");
  const bool float32 = py::isinstance<py::array_t<float>>(X);
  if (!float32 && !py::isinstance<py::array_t<double>>(X))
    throw py::type_error("X must be float32 or float64");
  const bool c_order = (X.flags() & py::array::c_style) != 0;
  if (!c_order && !(X.flags() & py::array::f_style))
    throw std::invalid_argument("X must be C- or Fortran-contiguous");
  const Index n = X.shape(0), d = X.shape(1);
  MlpSpec spec{hidden, n_outputs, activation_of(activation), loss_of(loss), nullptr, nullptr,
               nullptr, l2, n_threads};
  if (spec.loss == OutputLoss::Softmax) {
    if (!py::array_t<std::int64_t, py::array::c_style>::check_(y) || y.ndim() != 1 ||
        y.shape(0) != n)
      throw std::invalid_argument("y must be a contiguous int64 array with one label per row");
    spec.labels = static_cast<const std::int64_t*>(y.data());
  } else if (float32) {
    spec.targets = targets_of<float>(y, n, n_outputs);
  } else {
    spec.targets = targets_of<double>(y, n, n_outputs);
  }
  spec.sample_weight = float32 ? static_cast<const void*>(optional_weights<float>(sample_weight, n))
                               : static_cast<const void*>(optional_weights<double>(sample_weight, n));
  auto impl = make_mlp_risk(spec, X.data(), n, d, float32, c_order);
  std::vector<Index> sizes{d};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(n_outputs);
  Index n_weights = 0;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) n_weights += sizes[l] * sizes[l + 1];
  return std::make_shared<MlpHandle>(std::move(impl), std::move(sizes), n_weights);
}

}  // namespace

void bind_mlp(py::module_& m) {
  using namespace pybind11::literals;
  py::class_<MlpHandle, DataObjective, std::shared_ptr<MlpHandle>>(m, "Mlp")
      .def(py::init(&make_mlp), "X"_a, "y"_a, "hidden"_a, "n_outputs"_a, "activation"_a,
           "loss"_a, "sample_weight"_a, "l2"_a, "n_threads"_a, py::keep_alive<1, 2>(),
           py::keep_alive<1, 3>())
      .def_property_readonly("sizes", &MlpHandle::sizes)
      .def_property_readonly("n_weights", &MlpHandle::n_weights);
}

}  // namespace descend::bindings
