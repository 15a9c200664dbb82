/*
 * CRC-32C (Castagnoli), as used by the replication log's frame and segment headers.
 *
 * The polynomial is 0x1EDC6F41 (reflected 0x82F63B78), initial value and final xor 0xFFFFFFFF,
 * so crc32c("123456789") == 0xE3069283. On x86-64 with SSE4.2 the CPU's crc32 instruction does
 * the work; elsewhere a slicing-by-8 table does.
 */
#ifndef REPLREC_CCRC32C_H
#define REPLREC_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends `crc` (the value returned for the bytes before) over `length` bytes at `data`.
/// Start a fresh checksum with `crc` = 0.
uint32_t replrec_crc32c_extend(uint32_t crc, const void *data, size_t length);

/// 1 when the hardware instruction is used, 0 when the table is.
int replrec_crc32c_is_hardware(void);

#endif
