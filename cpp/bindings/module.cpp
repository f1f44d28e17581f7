#include <string>
#include <thread>

#include "descend/parallel.hpp"
#include "pybind.hpp"

// The thread limit as plain C functions, for threadpoolctl: the controller descend registers
// with it (python/descend/_threads.py) finds this module among the loaded libraries and calls
// these through ctypes, as it calls openblas_set_num_threads or omp_set_num_threads.
#if defined(_WIN32)
#define DESCEND_C_EXPORT extern "C" __declspec(dllexport)
#else
#define DESCEND_C_EXPORT extern "C" __attribute__((visibility("default")))
#endif

/// The default thread count for passes whose n_threads is not given.
DESCEND_C_EXPORT int descend_get_num_threads() { return descend::default_threads(); }

/// Sets it (n <= 0: back to OMP_NUM_THREADS or the usable cores).
DESCEND_C_EXPORT void descend_set_num_threads(int n) { descend::set_default_threads(n); }

// Set by CMakeLists.txt for this file; a build without them reports "unknown".
#ifndef DESCEND_VERSION
#define DESCEND_VERSION "unknown"
#endif
#ifndef DESCEND_COMPILER
#define DESCEND_COMPILER "unknown"
#endif
#ifndef DESCEND_BUILD_TYPE
#define DESCEND_BUILD_TYPE "unknown"
#endif
#ifndef DESCEND_CXX_FLAGS
#define DESCEND_CXX_FLAGS ""
#endif

namespace {

// The build facts descend.show_config() reports: what this module was compiled with.
py::dict build_info() {
  using namespace py::literals;
  py::list isa;  // instruction-set extensions the compiler was allowed to use here
#ifdef __SSE2__
  isa.append("sse2");
#endif
#ifdef __AVX__
  isa.append("avx");
#endif
#ifdef __AVX2__
  isa.append("avx2");
#endif
#ifdef __FMA__
  isa.append("fma");
#endif
#ifdef __AVX512F__
  isa.append("avx512f");
#endif
#if defined(__ARM_NEON) || defined(__ARM_NEON__)
  isa.append("neon");
#endif
  const std::string eigen = std::to_string(EIGEN_WORLD_VERSION) + "." +
                            std::to_string(EIGEN_MAJOR_VERSION) + "." +
                            std::to_string(EIGEN_MINOR_VERSION);
  return py::dict("version"_a = DESCEND_VERSION, "compiler"_a = DESCEND_COMPILER,
                  "build_type"_a = DESCEND_BUILD_TYPE, "cxx_flags"_a = DESCEND_CXX_FLAGS,
                  "instruction_sets"_a = isa, "eigen_version"_a = eigen,
                  "eigen_simd"_a = std::string(Eigen::SimdInstructionSetsInUse()),
                  "hardware_concurrency"_a = std::thread::hardware_concurrency(),
                  "default_threads"_a = descend::resolve_threads(0),
                  "host_default_threads"_a = descend::host_default_threads(),
                  "omp_num_threads"_a = descend::omp_num_threads_from_env(),
                  "usable_cores"_a = descend::usable_cores(),
                  "thread_limit"_a = descend::thread_limit_slot().load(),
                  "pool_workers"_a = descend::ThreadPool::instance().workers(),
                  "max_threads"_a = descend::kMaxThreads);
}

}  // namespace

// The pool is safe to call from several threads at once (thread_pool.hpp), so the module
// declares that it does not need the GIL on a free-threaded Python (py::mod_gil_not_used is
// pybind11 2.13's; pyproject.toml accepts 2.12, which builds without it).
#if PYBIND11_VERSION_HEX >= 0x020D0000
PYBIND11_MODULE(DESCEND_MODULE_NAME, m, py::mod_gil_not_used()) {
#else
PYBIND11_MODULE(DESCEND_MODULE_NAME, m) {
#endif
  using namespace py::literals;
  m.doc() = "descend's compiled core (internal: use the descend package instead)";
  descend::bindings::bind_objectives(m);
  descend::bindings::bind_solvers(m);
  descend::bindings::bind_stepper(m);
  descend::bindings::bind_projection(m);
  descend::bindings::bind_first_order(m);
  descend::bindings::bind_callables(m);
  descend::bindings::bind_mlp(m);
  m.def("build_info", &build_info,
        "The build's facts (version, compiler, flags, Eigen, threads) for descend.show_config.");
  m.def("get_num_threads", &descend::default_threads,
        "The thread count a pass uses when n_threads is not given.");
  m.def("set_num_threads", &descend::set_default_threads, "n"_a,
        "Sets the thread count a pass uses when n_threads is not given (n <= 0: back to the "
        "host's default, OMP_NUM_THREADS or the usable cores).");
}
