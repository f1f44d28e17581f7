// descend._cpu: the CPU probe _core.py asks before it loads one build of the core. Written
// against the Python C API alone (no pybind11, no Eigen) so that loading it costs next to
// nothing and pulls in no second copy of the core.

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "descend/cpu_features.hpp"

namespace {

// features() -> dict of str to bool: what the CPU and the OS let this process use.
PyObject* features(PyObject*, PyObject*) {
  const descend::CpuFeatures f = descend::cpu_features();
  return Py_BuildValue("{s:O,s:O,s:O,s:O,s:O,s:O}", "sse2", f.sse2 ? Py_True : Py_False,
                       "avx", f.avx ? Py_True : Py_False, "avx2", f.avx2 ? Py_True : Py_False,
                       "fma", f.fma ? Py_True : Py_False, "avx512f",
                       f.avx512f ? Py_True : Py_False, "neon", f.neon ? Py_True : Py_False);
}

PyMethodDef methods[] = {
    {"features", features, METH_NOARGS,
     "features() -> dict: the CPU features (sse2, avx, avx2, fma, avx512f, neon) that the CPU "
     "reports and the operating system has enabled, asked of the CPU (cpuid, xgetbv)."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cpu",
                      "descend's CPU probe (internal: see descend.show_config)", -1, methods,
                      nullptr, nullptr, nullptr, nullptr};

}  // namespace

PyMODINIT_FUNC PyInit__cpu() {
  PyObject* m = PyModule_Create(&module);
#ifdef Py_GIL_DISABLED
  if (m != nullptr) PyUnstable_Module_SetGIL(m, Py_MOD_GIL_NOT_USED);
#endif
  return m;
}
