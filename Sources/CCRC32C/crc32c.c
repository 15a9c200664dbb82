/*
 * CRC-32C: hardware instruction where present (x86-64 SSE4.2, AArch64 CRC), portable
 * slicing-by-8 otherwise. The choice is made once, on first use.
 *
 * Built into the tools and into the interception layer (output fingerprints), so it calls
 * nothing the layer interposes: the first use is guarded by an atomic, not pthread_once.
 */
#include "CCRC32C.h"

#include <stdatomic.h>
#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t crc32c_table[8][256];
static _Atomic int crc32c_state; /* 0: not made, 1: being made, 2: made */
static int crc32c_hardware;

static void crc32c_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ CRC32C_POLY_REFLECTED : crc >> 1;
        crc32c_table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = crc32c_table[0][n];
        for (int k = 1; k < 8; k++) {
            crc = crc32c_table[0][crc & 0xff] ^ (crc >> 8);
            crc32c_table[k][n] = crc;
        }
    }
#if defined(__x86_64__)
    __builtin_cpu_init();
    crc32c_hardware = __builtin_cpu_supports("sse4.2");
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
    crc32c_hardware = 1;
#endif
}

static uint32_t crc32c_software(uint32_t crc, const unsigned char *p, size_t n) {
    while (n && ((uintptr_t)p & 7)) {
        crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
        n--;
    }
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc;
        crc = crc32c_table[7][word & 0xff] ^ crc32c_table[6][(word >> 8) & 0xff] ^
              crc32c_table[5][(word >> 16) & 0xff] ^ crc32c_table[4][(word >> 24) & 0xff] ^
              crc32c_table[3][(word >> 32) & 0xff] ^ crc32c_table[2][(word >> 40) & 0xff] ^
              crc32c_table[1][(word >> 48) & 0xff] ^ crc32c_table[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_hardware_extend(uint32_t crc, const unsigned char *p, size_t n) {
    uint64_t crc64 = crc;
    while (n && ((uintptr_t)p & 7)) {
        crc64 = __builtin_ia32_crc32qi((uint32_t)crc64, *p++);
        n--;
    }
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc64 = __builtin_ia32_crc32di(crc64, word);
        p += 8;
        n -= 8;
    }
    while (n--)
        crc64 = __builtin_ia32_crc32qi((uint32_t)crc64, *p++);
    return (uint32_t)crc64;
}
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
static uint32_t crc32c_hardware_extend(uint32_t crc, const unsigned char *p, size_t n) {
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc = __crc32cd(crc, word);
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = __crc32cb(crc, *p++);
    return crc;
}
#endif

static void crc32c_once(void) {
    if (atomic_load_explicit(&crc32c_state, memory_order_acquire) == 2) return;
    int expected = 0;
    if (atomic_compare_exchange_strong_explicit(&crc32c_state, &expected, 1, memory_order_acq_rel, memory_order_acquire)) {
        crc32c_init();
        atomic_store_explicit(&crc32c_state, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&crc32c_state, memory_order_acquire) != 2) {
        /* another thread fills the tables: a few microseconds */
    }
}

uint32_t replrec_crc32c_extend(uint32_t crc, const void *data, size_t length) {
    crc32c_once();
    crc = ~crc;
#if defined(__x86_64__) || (defined(__aarch64__) && defined(__ARM_FEATURE_CRC32))
    if (crc32c_hardware)
        return ~crc32c_hardware_extend(crc, data, length);
#endif
    return ~crc32c_software(crc, data, length);
}

int replrec_crc32c_is_hardware(void) {
    crc32c_once();
    return crc32c_hardware;
}
