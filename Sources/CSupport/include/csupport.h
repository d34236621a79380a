// Small C helpers the engine needs from libc that Swift's Glibc module does not expose.
#pragma once

/// Keeps freed large buffers in the malloc heap instead of unmapping them, so repeated tensor
/// allocations of the same size do not page-fault on every first touch.
void lumen_tune_allocator(void);
