// Int8 x int8 -> int32 GEMM for the quantized layers of lumen/deploy (Engine/Deploy/Int8Kernels.swift).
// Layout "NT": a is (m, k) row-major, b is (n, k) row-major (a weight matrix out x in), so every
// output c[i][j] is a dot product of two contiguous int8 rows. Products of two int8 fit in int16
// pairs summed by vpmaddwd into int32, so there is no saturation anywhere: results are exact
// (the sum wraps only past 2^31, i.e. k > 133,000 worst-case products).
#include "csupport.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LUMEN_X86 1
#endif

int lumen_cpu_has_avx2(void) {
#ifdef LUMEN_X86
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return cached;
#else
    return 0;
#endif
}

void lumen_s8_gemm_nt_scalar(const int8_t *a, const int8_t *b, int32_t *c, long m, long n, long k,
                             long lda, long ldb, long ldc) {
    for (long i = 0; i < m; i++) {
        const int8_t *ar = a + i * lda;
        for (long j = 0; j < n; j++) {
            const int8_t *br = b + j * ldb;
            int32_t sum = 0;
            for (long p = 0; p < k; p++) sum += (int32_t)ar[p] * (int32_t)br[p];
            c[i * ldc + j] = sum;
        }
    }
}

#ifdef LUMEN_X86
__attribute__((target("avx2"))) static inline int32_t hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

// 16 int8 at p sign-extended to 16 int16.
__attribute__((target("avx2"))) static inline __m256i load16(const int8_t *p) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
}

// Blocks of 2 rows of a x 4 rows of b: 6 loads feed 8 vpmaddwd per 16 k.
__attribute__((target("avx2")))
static void gemm_avx2(const int8_t *a, const int8_t *b, int32_t *c, long m, long n, long k,
                      long lda, long ldb, long ldc) {
    long k16 = k & ~15L;
    long i = 0;
    for (; i + 2 <= m; i += 2) {
        const int8_t *a0 = a + i * lda, *a1 = a0 + lda;
        long j = 0;
        for (; j + 4 <= n; j += 4) {
            const int8_t *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
            __m256i s00 = _mm256_setzero_si256(), s01 = s00, s02 = s00, s03 = s00;
            __m256i s10 = s00, s11 = s00, s12 = s00, s13 = s00;
            for (long p = 0; p < k16; p += 16) {
                __m256i x0 = load16(a0 + p), x1 = load16(a1 + p);
                __m256i w = load16(b0 + p);
                s00 = _mm256_add_epi32(s00, _mm256_madd_epi16(x0, w));
                s10 = _mm256_add_epi32(s10, _mm256_madd_epi16(x1, w));
                w = load16(b1 + p);
                s01 = _mm256_add_epi32(s01, _mm256_madd_epi16(x0, w));
                s11 = _mm256_add_epi32(s11, _mm256_madd_epi16(x1, w));
                w = load16(b2 + p);
                s02 = _mm256_add_epi32(s02, _mm256_madd_epi16(x0, w));
                s12 = _mm256_add_epi32(s12, _mm256_madd_epi16(x1, w));
                w = load16(b3 + p);
                s03 = _mm256_add_epi32(s03, _mm256_madd_epi16(x0, w));
                s13 = _mm256_add_epi32(s13, _mm256_madd_epi16(x1, w));
            }
            int32_t r[8] = {hsum_epi32(s00), hsum_epi32(s01), hsum_epi32(s02), hsum_epi32(s03),
                            hsum_epi32(s10), hsum_epi32(s11), hsum_epi32(s12), hsum_epi32(s13)};
            for (long p = k16; p < k; p++) {
                int32_t x0 = a0[p], x1 = a1[p];
                r[0] += x0 * b0[p]; r[1] += x0 * b1[p]; r[2] += x0 * b2[p]; r[3] += x0 * b3[p];
                r[4] += x1 * b0[p]; r[5] += x1 * b1[p]; r[6] += x1 * b2[p]; r[7] += x1 * b3[p];
            }
            for (int q = 0; q < 4; q++) { c[i * ldc + j + q] = r[q]; c[(i + 1) * ldc + j + q] = r[4 + q]; }
        }
        for (; j < n; j++) {
            const int8_t *b0 = b + j * ldb;
            __m256i s0 = _mm256_setzero_si256(), s1 = s0;
            for (long p = 0; p < k16; p += 16) {
                __m256i w = load16(b0 + p);
                s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(load16(a0 + p), w));
                s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(load16(a1 + p), w));
            }
            int32_t r0 = hsum_epi32(s0), r1 = hsum_epi32(s1);
            for (long p = k16; p < k; p++) { r0 += (int32_t)a0[p] * b0[p]; r1 += (int32_t)a1[p] * b0[p]; }
            c[i * ldc + j] = r0;
            c[(i + 1) * ldc + j] = r1;
        }
    }
    for (; i < m; i++) {
        const int8_t *a0 = a + i * lda;
        long j = 0;
        for (; j + 4 <= n; j += 4) {   // 1 x 4 blocks (single-sample inference)
            const int8_t *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
            __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
            for (long p = 0; p < k16; p += 16) {
                __m256i x0 = load16(a0 + p);
                s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(x0, load16(b0 + p)));
                s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(x0, load16(b1 + p)));
                s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(x0, load16(b2 + p)));
                s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(x0, load16(b3 + p)));
            }
            int32_t r0 = hsum_epi32(s0), r1 = hsum_epi32(s1), r2 = hsum_epi32(s2), r3 = hsum_epi32(s3);
            for (long p = k16; p < k; p++) {
                int32_t x0 = a0[p];
                r0 += x0 * b0[p]; r1 += x0 * b1[p]; r2 += x0 * b2[p]; r3 += x0 * b3[p];
            }
            c[i * ldc + j] = r0; c[i * ldc + j + 1] = r1; c[i * ldc + j + 2] = r2; c[i * ldc + j + 3] = r3;
        }
        for (; j < n; j++) {
            const int8_t *b0 = b + j * ldb;
            __m256i s0 = _mm256_setzero_si256();
            for (long p = 0; p < k16; p += 16) s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(load16(a0 + p), load16(b0 + p)));
            int32_t r0 = hsum_epi32(s0);
            for (long p = k16; p < k; p++) r0 += (int32_t)a0[p] * b0[p];
            c[i * ldc + j] = r0;
        }
    }
}
#endif

void lumen_s8_gemm_nt(const int8_t *a, const int8_t *b, int32_t *c, long m, long n, long k,
                      long lda, long ldb, long ldc) {
#ifdef LUMEN_X86
    if (lumen_cpu_has_avx2()) { gemm_avx2(a, b, c, m, n, k, lda, ldb, ldc); return; }
#endif
    lumen_s8_gemm_nt_scalar(a, b, c, m, n, k, lda, ldb, ldc);
}
