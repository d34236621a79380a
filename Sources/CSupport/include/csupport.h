// Small C helpers the engine needs from libc that Swift's Glibc module does not expose.
#pragma once

/// Keeps freed large buffers in the malloc heap instead of unmapping them, so repeated tensor
/// allocations of the same size do not page-fault on every first touch.
void lumen_tune_allocator(void);

#include <stdint.h>

/// 1 when the CPU supports AVX2 (checked once; the int8 kernels then take their AVX2 paths).
int lumen_cpu_has_avx2(void);

// ---- Packed int8 inference kernels (int8_packed.c; layouts described there) ----

/// int16 elements of a panel-packed (k, n) operand: n rounded up to 16, k to an even count.
long lumen_s16_packed_size(long n, long k);

/// Packs an (n, k) int8 matrix whose rows are the columns of the B operand (a weight matrix
/// (out, in) for y = x · wᵀ) into 16-column int16 panels; padding is zero.
void lumen_s16_pack_b_rows(const int8_t *w, long ldw, long n, long k, int16_t *dst);

/// Sign-extends m rows of k int8 (row stride lds) into int16 rows of stride ldd >= k (tail zeroed).
void lumen_s8_to_s16_rows(const int8_t *src, long lds, long m, long k, int16_t *dst, long ldd);

/// Copies c planes (h, w) into (h + 2ph, w + 2pw) planes filled with `fill` (the zero point).
void lumen_s8_pad_planes(const int8_t *x, long c, long h, long w, long ph, long pw, int8_t fill, int8_t *dst);

/// The patch matrix of a padded input (c, hp, wp) packed as the B operand: column p = oy*ow + ox,
/// row kk = (ci*kh + i)*kw + j. dst holds lumen_s16_packed_size(oh*ow, c*kh*kw) int16.
void lumen_s8_im2col_pack(const int8_t *xpad, long c, long hp, long wp, long kh, long kw, long sh, long sw,
                          long dh, long dw, long oh, long ow, int16_t *dst);

/// c[i*ldc + j] = sum_kk a[i*lda + kk] * B[kk][j] for i < m, j < n, with B panel packed (k rows).
void lumen_s16_gemm_packed(const int16_t *a, long lda, const int16_t *bp, long n, long k,
                           int32_t *c, long ldc, long m);
void lumen_s16_gemm_packed_scalar(const int16_t *a, long lda, const int16_t *bp, long n, long k,
                                  int32_t *c, long ldc, long m);

/// dst[i] = clamp(zo + RoundingDivideByPOT(SRDHM(acc[i] + bias, mult), right), lo, hi) with the
/// channel constants taken at index i (per_column = 1) or 0 (one channel). Right shifts only
/// (right in 0...31); the caller handles multipliers >= 1 (left shifts).
void lumen_requant_s32_s8(const int32_t *acc, long count, int8_t *dst, const int32_t *bias, const int32_t *mult,
                          const int32_t *right, int per_column, int32_t zo, int32_t lo, int32_t hi);
void lumen_requant_s32_s8_scalar(const int32_t *acc, long count, int8_t *dst, const int32_t *bias,
                                 const int32_t *mult, const int32_t *right, int per_column, int32_t zo,
                                 int32_t lo, int32_t hi);

/// Max pooling of `planes` int8 planes (h, w) without padding into (oh, ow) planes.
void lumen_s8_max_pool(const int8_t *x, long planes, long h, long w, long kh, long kw, long sh, long sw,
                       long oh, long ow, int8_t *dst);

/// q[i] = clamp(round_half_even(x[i] * inv) + z, lo, hi) as int8, NaN → z (activation quantization).
void lumen_quantize_f32_s8(const float *x, long n, double inv, double z, double lo, double hi, int8_t *dst);
void lumen_quantize_f64_s8(const double *x, long n, double inv, double z, double lo, double hi, int8_t *dst);

/// The smallest and largest finite values of x[0..<n], folded into *lo / *hi (which start the range).
void lumen_f32_finite_min_max(const float *x, long n, float *lo, float *hi);
