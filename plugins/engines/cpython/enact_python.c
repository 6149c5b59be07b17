/*
 * The reactor entry points of Enact's CPython engine.
 *
 * CPython is linked as a WASI reactor: the runtime calls _initialize (the C
 * constructors), then enact_init once, then enact_run for each task. The
 * runtime keeps the memory left by enact_init as a snapshot, so every run
 * starts from an interpreter that is already initialised and has the common
 * modules imported.
 *
 *   int32 enact_init(const char *boot)
 *       Initialises the interpreter (isolated: no environment, no site, no
 *       arguments, no bytecode writing, UTF-8 mode, the standard library at
 *       /usr/local/lib/python3.13) and executes boot, a NUL-terminated
 *       Python source compiled as the file "<enact>", in __main__. boot must leave a callable named
 *       __enact_run there. Returns 0, or 1 after printing the error to
 *       standard error.
 *
 *   int32 enact_run(const char *request, int32 length)
 *       Calls __enact_run with the request (UTF-8 text) as one str and
 *       keeps the str it returns. Returns 0, or 1 after printing the error
 *       to standard error (the runner is meant to catch everything itself).
 *
 *   const char *enact_result(void), int32 enact_result_length(void)
 *       The UTF-8 text of the last result, valid until the next enact_run.
 *
 * The module imports two host functions, module "enact":
 *   int32 call(const char *request, int32 length)
 *       Performs an action request (JSON text) and keeps the reply on the
 *       host; returns the reply's length in bytes, or -1.
 *   int32 reply(char *buffer, int32 length)
 *       Copies the kept reply into buffer and forgets it; returns the bytes
 *       copied, or -1 when there is none or it does not fit.
 * Python code reaches them as _enact.call(request: str) -> str.
 */
#include "Python.h"

#include <stdint.h>
#include <stdlib.h>

__attribute__((import_module("enact"), import_name("call")))
extern int32_t enact_host_call(const char *request, int32_t length);

__attribute__((import_module("enact"), import_name("reply")))
extern int32_t enact_host_reply(char *buffer, int32_t length);

static PyObject *
enact_call(PyObject *self, PyObject *arg)
{
    Py_ssize_t n;
    const char *request = PyUnicode_AsUTF8AndSize(arg, &n);
    if (request == NULL) {
        return NULL;
    }
    if (n > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "the request is too large");
        return NULL;
    }
    int32_t length = enact_host_call(request, (int32_t)n);
    if (length < 0) {
        PyErr_SetString(PyExc_RuntimeError, "the host refused the request");
        return NULL;
    }
    char *reply = PyMem_RawMalloc(length > 0 ? (size_t)length : 1);
    if (reply == NULL) {
        return PyErr_NoMemory();
    }
    if (enact_host_reply(reply, length) != length) {
        PyMem_RawFree(reply);
        PyErr_SetString(PyExc_RuntimeError, "the host's reply was lost");
        return NULL;
    }
    PyObject *text = PyUnicode_DecodeUTF8(reply, length, "strict");
    PyMem_RawFree(reply);
    return text;
}

static PyMethodDef enact_methods[] = {
    {"call", enact_call, METH_O, "call(request) -> reply: one JSON action request to the Enact host."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef enact_module = {
    PyModuleDef_HEAD_INIT, "_enact", "The Enact host's entry point.", -1, enact_methods,
};

static PyObject *
PyInit__enact(void)
{
    return PyModule_Create(&enact_module);
}

static PyObject *runner;
static PyObject *result;

static int
fail(void)
{
    if (PyErr_Occurred()) {
        PyErr_Print();
    }
    return 1;
}

__attribute__((export_name("enact_init")))
int32_t
enact_init(const char *boot)
{
    if (PyImport_AppendInittab("_enact", PyInit__enact) != 0) {
        return 1;
    }
    /* UTF-8 mode: the sandbox has no locale, and text (print, open, the
     * file system's names) is UTF-8 whatever the host's locale is. */
    PyPreConfig preconfig;
    PyPreConfig_InitIsolatedConfig(&preconfig);
    preconfig.utf8_mode = 1;
    PyStatus status = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(status)) {
        fprintf(stderr, "enact_init: %s\n", status.err_msg ? status.err_msg : "pre-initialisation failed");
        return 1;
    }
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.site_import = 0;
    config.write_bytecode = 0;
    config.install_signal_handlers = 0;
    config.buffered_stdio = 0;
    config.safe_path = 1;
    config.module_search_paths_set = 1;
    status = PyConfig_SetString(&config, &config.home, L"/usr/local");
    if (!PyStatus_Exception(status)) {
        status = PyConfig_SetString(&config, &config.program_name, L"python3");
    }
    if (!PyStatus_Exception(status)) {
        status = PyWideStringList_Append(&config.module_search_paths, L"/usr/local/lib/python3.13");
    }
    if (!PyStatus_Exception(status)) {
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        fprintf(stderr, "enact_init: %s: %s\n", status.func ? status.func : "init",
                status.err_msg ? status.err_msg : "failed");
        return 1;
    }
    PyObject *main = PyImport_AddModule("__main__");
    if (main == NULL) {
        return fail();
    }
    PyObject *globals = PyModule_GetDict(main);
    PyObject *code = Py_CompileString(boot, "<enact>", Py_file_input);
    if (code == NULL) {
        return fail();
    }
    PyObject *done = PyEval_EvalCode(code, globals, globals);
    Py_DECREF(code);
    if (done == NULL) {
        return fail();
    }
    Py_DECREF(done);
    runner = PyDict_GetItemString(globals, "__enact_run");
    if (runner == NULL || !PyCallable_Check(runner)) {
        fprintf(stderr, "enact_init: the boot source left no callable __enact_run\n");
        return 1;
    }
    Py_INCREF(runner);
    return 0;
}

__attribute__((export_name("enact_run")))
int32_t
enact_run(const char *request, int32_t length)
{
    Py_CLEAR(result);
    if (runner == NULL) {
        fprintf(stderr, "enact_run: not initialised\n");
        return 1;
    }
    PyObject *arg = PyUnicode_DecodeUTF8(request, length, "strict");
    if (arg == NULL) {
        return fail();
    }
    PyObject *r = PyObject_CallOneArg(runner, arg);
    Py_DECREF(arg);
    if (r == NULL) {
        return fail();
    }
    if (!PyUnicode_Check(r)) {
        Py_DECREF(r);
        fprintf(stderr, "enact_run: the runner returned something other than a str\n");
        return 1;
    }
    result = r;
    return 0;
}

__attribute__((export_name("enact_result")))
const char *
enact_result(void)
{
    return result == NULL ? NULL : PyUnicode_AsUTF8(result);
}

__attribute__((export_name("enact_result_length")))
int32_t
enact_result_length(void)
{
    Py_ssize_t n = 0;
    if (result == NULL || PyUnicode_AsUTF8AndSize(result, &n) == NULL) {
        PyErr_Clear();
        return -1;
    }
    return (int32_t)n;
}
