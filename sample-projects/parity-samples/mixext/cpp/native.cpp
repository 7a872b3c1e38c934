// A C++ extension using the full C API (PyList_GET_ITEM, PY_VERSION_HEX at build time).
#include <Python.h>
#include <numeric>
#include <vector>

static PyObject *mean(PyObject *, PyObject *arg)
{
    if (!PyList_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "expected a list");
        return nullptr;
    }
    std::vector<double> values;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(arg); i++) {
        double v = PyFloat_AsDouble(PyList_GET_ITEM(arg, i));
        if (v == -1.0 && PyErr_Occurred())
            return nullptr;
        values.push_back(v);
    }
    if (values.empty())
        return PyFloat_FromDouble(0.0);
    return PyFloat_FromDouble(std::accumulate(values.begin(), values.end(), 0.0) / values.size());
}

static PyObject *version_hex(PyObject *, PyObject *) { return PyLong_FromLong(PY_VERSION_HEX); }

static PyMethodDef methods[] = {
    {"mean", mean, METH_O, "the mean of a list of numbers"},
    {"version_hex", version_hex, METH_NOARGS, "PY_VERSION_HEX at build time"},
    {nullptr, nullptr, 0, nullptr},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", nullptr, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
