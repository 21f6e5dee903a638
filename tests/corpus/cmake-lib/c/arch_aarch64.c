#if !defined(__aarch64__)
#error "aarch64 sources compiled for another CPU: CMAKE_SYSTEM_PROCESSOR is wrong"
#endif
const char *cmakelib_arch(void) { return "aarch64"; }
