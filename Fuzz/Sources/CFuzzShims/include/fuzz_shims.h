#ifndef FUZZ_SHIMS_H
#define FUZZ_SHIMS_H

/// Makes the calling process the reaper of its orphaned descendants, so that a replayed process
/// left behind by replplay shows up as the fuzzer's child. prctl is variadic: Swift cannot call it.
int fuzz_become_subreaper(void);

/// Line-buffers standard output, so that progress shows as it comes, into a file too (Swift 6
/// cannot name C's `stdout`).
void fuzz_line_buffered_output(void);

#endif
