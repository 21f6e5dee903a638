/* Links the staticlib into the program. */
#include "host.h"

uint64_t c_abi_lib_sum(const uint32_t *values, size_t len);
size_t c_abi_lib_describe(char *buf, size_t len);

int main(void) { return print_line("c-abi-lib", c_abi_lib_sum, c_abi_lib_describe); }
