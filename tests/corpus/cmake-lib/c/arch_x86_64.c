#if !defined(__x86_64__)
#error "x86_64 sources compiled for another CPU: CMAKE_SYSTEM_PROCESSOR is wrong"
#endif
const char *cmakelib_arch(void) { return "x86_64"; }
