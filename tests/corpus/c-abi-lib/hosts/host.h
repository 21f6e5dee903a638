/* What both host programs print: the same line from the library, however it was linked. */
#include <stdio.h>
#include <stdint.h>
#include <stddef.h>

typedef uint64_t (*sum_fn)(const uint32_t *, size_t);
typedef size_t (*describe_fn)(char *, size_t);

/* No printf with arguments: Debian's arm64 wine (which runs the aarch64 Windows hosts in
 * the tests) implements ucrtbase as AArch64 Linux code, whose va_list is not Windows
 * ARM64's, so every vprintf-family call with arguments crashes there. */
static void put_u64(uint64_t v) {
    char digits[21];
    int n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) putchar(digits[--n]);
}

static int print_line(const char *who, sum_fn sum, describe_fn describe) {
    uint32_t values[100];
    char text[128];
    for (int i = 0; i < 100; i++) values[i] = (uint32_t)(i + 1);
    describe(text, sizeof text);
    fputs(who, stdout);
    fputs(": sum=", stdout);
    put_u64(sum(values, 100));
    putchar(' ');
    fputs(text, stdout);
    putchar('\n');
    return 0;
}
