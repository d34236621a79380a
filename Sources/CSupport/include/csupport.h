// Small C helpers the engine needs from libc that Swift's Glibc module does not expose.
#pragma once

/// Keeps freed large buffers in the malloc heap instead of unmapping them, so repeated tensor
/// allocations of the same size do not page-fault on every first touch.
void lumen_tune_allocator(void);

#include <stdint.h>

/// 1 when the CPU supports AVX2 (checked once; the int8 GEMM then takes its AVX2 path).
int lumen_cpu_has_avx2(void);

/// Int8 GEMM with int32 accumulation, both operands contiguous along k ("NT" layout):
///   c[i*ldc + j] = sum_{p<k} a[i*lda + p] * b[j*ldb + p]      for i < m, j < n.
/// a: (m, k) activations, b: (n, k) weights (one output channel per row), c: (m, n) int32.
/// AVX2 path (sign-extend to int16, vpmaddwd) when available, scalar loops otherwise.
void lumen_s8_gemm_nt(const int8_t *a, const int8_t *b, int32_t *c, long m, long n, long k,
                      long lda, long ldb, long ldc);

/// The portable scalar version of lumen_s8_gemm_nt (also the reference for tests).
void lumen_s8_gemm_nt_scalar(const int8_t *a, const int8_t *b, int32_t *c, long m, long n, long k,
                             long lda, long ldb, long ldc);
