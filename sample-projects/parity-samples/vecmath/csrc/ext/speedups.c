/* A hand-written extension module using only the limited API. */
#include <Python.h>
#include "core.h"

static PyObject *biased_add(PyObject *self, PyObject *args)
{
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b))
        return NULL;
    return PyLong_FromLong(a + b + core_bias());
}

static PyMethodDef methods[] = {
    {"biased_add", biased_add, METH_VARARGS, "a + b + the library's bias"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};

PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }
