#include "record.h"

/* The C compiler's layout of struct record: its size, alignment, then each field's
 * offset, in declaration order. */
size_t record_layout(size_t *out, size_t n) {
    size_t v[] = {
        sizeof(struct record), _Alignof(struct record),
        offsetof(struct record, tag), offsetof(struct record, count),
        offsetof(struct record, ptr), offsetof(struct record, len),
        offsetof(struct record, wide), offsetof(struct record, big),
        offsetof(struct record, when), offsetof(struct record, value),
    };
    size_t count = sizeof(v) / sizeof(v[0]);
    for (size_t i = 0; i < count && i < n; i++) out[i] = v[i];
    return count;
}
