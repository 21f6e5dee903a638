#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <wchar.h>

/* Types whose size or alignment differs between targets: long is 4 bytes on Windows and
 * 8 elsewhere, wchar_t 2 bytes on Windows, struct timespec comes from each C library. */
struct record {
    char tag;
    long count;
    void *ptr;
    size_t len;
    wchar_t wide;
    int64_t big;
    struct timespec when;
    double value;
};

size_t record_layout(size_t *offsets, size_t n);
