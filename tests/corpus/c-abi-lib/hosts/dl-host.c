/* Loads the cdylib at run time (argv[1]) the way an app loads a plugin or JNI library. */
#include "host.h"
#ifdef _WIN32
#include <windows.h>
#define LOAD(p) ((void *)LoadLibraryA(p))
#define SYM(h, n) ((void *)GetProcAddress((HMODULE)(h), n))
#else
#include <dlfcn.h>
#define LOAD(p) dlopen(p, RTLD_NOW)
#define SYM(h, n) dlsym(h, n)
#endif

int main(int argc, char **argv) {
    if (argc < 2) { fputs("usage: dl-host LIBRARY\n", stderr); return 2; }
    void *lib = LOAD(argv[1]);
    if (!lib) { fputs("dl-host: cannot load the library\n", stderr); return 1; }
    sum_fn sum = (sum_fn)SYM(lib, "c_abi_lib_sum");
    describe_fn describe = (describe_fn)SYM(lib, "c_abi_lib_describe");
    if (!sum || !describe) { fputs("dl-host: c_abi_lib_sum or c_abi_lib_describe missing\n", stderr); return 1; }
    return print_line("c-abi-lib", sum, describe);
}
