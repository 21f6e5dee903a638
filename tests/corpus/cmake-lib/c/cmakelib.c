#include "config.h"
int cmakelib_answer(void) {
#ifdef CMAKELIB_LINKS
    return 6 * 7;
#else
    return -1;
#endif
}
