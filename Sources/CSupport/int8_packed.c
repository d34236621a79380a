// Packed int8 inference kernels for lumen/deploy (Engine/Deploy/QuantizedKernel.swift, Int8Gemm.swift).
//
// The GEMM works on int16 copies of int8 data so that vpmaddwd multiplies pairs of k at once:
//   c[i][j] = sum_q a[i][2q] * b[2q][j] + a[i][2q+1] * b[2q+1][j]
// a is row-major int16 with k padded to an even count (pairs), b is "panel packed":
//   panel jb holds columns jb*16 .. jb*16+15; inside it, pair q is 32 int16:
//   (b[2q][c0], b[2q+1][c0], b[2q][c1], b[2q+1][c1], ..., c15).
// A micro-kernel broadcasts one (a[i][2q], a[i][2q+1]) pair of each of 4 rows and multiplies it with
// the 16 columns of the panel (two ymm registers): 8 int32 accumulators, no horizontal sums, any k.
// Products of two int8 values summed in pairs are at most 2 * 128 * 128 = 2^15, so int32 sums are
// exact (they wrap only past 2^31, i.e. k > 131,000).
//
// Requantization repeats FixedPoint.swift / Requantizer.applyRow bit for bit (gemmlowp's
// SaturatingRoundingDoublingHighMul = floor((x*m + 2^30) / 2^31), then RoundingDivideByPOT).
#include "csupport.h"
#include <string.h>

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

long lumen_s16_packed_size(long n, long k) {
    return ((n + 15) / 16) * 16 * ((k + 1) / 2) * 2;
}

// ---------------------------------------------------------------------------------------------
// Packing

void lumen_s16_pack_b_rows(const int8_t *w, long ldw, long n, long k, int16_t *dst) {
    long kp = (k + 1) / 2, panels = (n + 15) / 16;
    memset(dst, 0, (size_t)lumen_s16_packed_size(n, k) * sizeof(int16_t));
    for (long jb = 0; jb < panels; jb++) {
        int16_t *panel = dst + jb * kp * 32;
        for (long jj = 0; jj < 16 && jb * 16 + jj < n; jj++) {
            const int8_t *row = w + (jb * 16 + jj) * ldw;
            for (long kk = 0; kk < k; kk++) panel[(kk >> 1) * 32 + jj * 2 + (kk & 1)] = row[kk];
        }
    }
}

void lumen_s8_to_s16_rows(const int8_t *src, long lds, long m, long k, int16_t *dst, long ldd) {
    for (long i = 0; i < m; i++) {
        const int8_t *s = src + i * lds;
        int16_t *d = dst + i * ldd;
        for (long kk = 0; kk < k; kk++) d[kk] = s[kk];
        for (long kk = k; kk < ldd; kk++) d[kk] = 0;
    }
}

void lumen_s8_pad_planes(const int8_t *x, long c, long h, long w, long ph, long pw, int8_t fill, int8_t *dst) {
    long hp = h + 2 * ph, wp = w + 2 * pw;
    memset(dst, fill, (size_t)(c * hp * wp));
    for (long ci = 0; ci < c; ci++)
        for (long y = 0; y < h; y++) memcpy(dst + (ci * hp + y + ph) * wp + pw, x + (ci * h + y) * w, (size_t)w);
}

// Column j of the patch matrix is output position p = oy*ow + ox; row kk = (ci*kh + i)*kw + jx holds
// xpad[ci][oy*sh + i*dh][ox*sw + jx*dw] (xpad already padded, so no bounds checks).
static void im2col_pack_scalar(const int8_t *xpad, long hp, long wp, long kh, long kw, long sh, long sw,
                               long dh, long dw, long ow, long p, long k, int16_t *dst, long jb) {
    long kp = (k + 1) / 2;
    int16_t *panel = dst + jb * kp * 32;
    for (long jj = 0; jj < 16; jj++) {
        long pos = jb * 16 + jj;
        if (pos >= p) {
            for (long q = 0; q < kp; q++) { panel[q * 32 + jj * 2] = 0; panel[q * 32 + jj * 2 + 1] = 0; }
            continue;
        }
        long oy = pos / ow, ox = pos % ow;
        long kk = 0;
        for (long ci = 0; kk < k; ci++)
            for (long i = 0; i < kh; i++) {
                const int8_t *row = xpad + (ci * hp + oy * sh + i * dh) * wp + ox * sw;
                for (long jx = 0; jx < kw; jx++, kk++) panel[(kk >> 1) * 32 + jj * 2 + (kk & 1)] = row[jx * dw];
            }
        if (k & 1) panel[(k >> 1) * 32 + jj * 2 + 1] = 0;
    }
}

#ifdef LUMEN_X86
// Panels whose 16 positions lie in one output row with stride 1 along x: each k row is 16
// contiguous bytes of xpad, so a pair of k rows is two loads, sign extension and an interleave.
__attribute__((target("avx2")))
static void im2col_pack_row16(const int8_t *xpad, long hp, long wp, long kh, long kw, long sh,
                              long dh, long dw, long ow, long k, int16_t *dst, long jb) {
    long kp = (k + 1) / 2;
    int16_t *panel = dst + jb * kp * 32;
    long pos = jb * 16, oy = pos / ow, ox = pos % ow;
    const int8_t *rows[2];
    long kk = 0;
    for (long ci = 0; kk < k; ci++)
        for (long i = 0; i < kh && kk < k; i++)
            for (long jx = 0; jx < kw; jx++, kk++) {
                rows[kk & 1] = xpad + (ci * hp + oy * sh + i * dh) * wp + ox + jx * dw;
                if (kk & 1) {
                    __m256i v0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)rows[0]));
                    __m256i v1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)rows[1]));
                    __m256i lo = _mm256_unpacklo_epi16(v0, v1), hi = _mm256_unpackhi_epi16(v0, v1);
                    int16_t *d = panel + (kk >> 1) * 32;
                    _mm256_storeu_si256((__m256i *)d, _mm256_permute2x128_si256(lo, hi, 0x20));
                    _mm256_storeu_si256((__m256i *)(d + 16), _mm256_permute2x128_si256(lo, hi, 0x31));
                }
            }
    if (k & 1) {
        __m256i v0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)rows[0]));
        __m256i z = _mm256_setzero_si256();
        __m256i lo = _mm256_unpacklo_epi16(v0, z), hi = _mm256_unpackhi_epi16(v0, z);
        int16_t *d = panel + (k >> 1) * 32;
        _mm256_storeu_si256((__m256i *)d, _mm256_permute2x128_si256(lo, hi, 0x20));
        _mm256_storeu_si256((__m256i *)(d + 16), _mm256_permute2x128_si256(lo, hi, 0x31));
    }
}
#endif

void lumen_s8_im2col_pack(const int8_t *xpad, long c, long hp, long wp, long kh, long kw, long sh, long sw,
                          long dh, long dw, long oh, long ow, int16_t *dst) {
    long p = oh * ow, k = c * kh * kw, panels = (p + 15) / 16;
#ifdef LUMEN_X86
    int fast = lumen_cpu_has_avx2() && sw == 1 && ow % 16 == 0;
#else
    int fast = 0;
#endif
    for (long jb = 0; jb < panels; jb++) {
#ifdef LUMEN_X86
        if (fast) { im2col_pack_row16(xpad, hp, wp, kh, kw, sh, dh, dw, ow, k, dst, jb); continue; }
#endif
        im2col_pack_scalar(xpad, hp, wp, kh, kw, sh, sw, dh, dw, ow, p, k, dst, jb);
    }
    (void)c; (void)oh;
}

// ---------------------------------------------------------------------------------------------
// GEMM

static void gemm_packed_scalar(const int16_t *a, long lda, const int16_t *bp, long n, long kp,
                               int32_t *c, long ldc, long m) {
    long panels = (n + 15) / 16;
    for (long i = 0; i < m; i++)
        for (long jb = 0; jb < panels; jb++) {
            const int16_t *panel = bp + jb * kp * 32;
            for (long jj = 0; jj < 16 && jb * 16 + jj < n; jj++) {
                int32_t s = 0;
                for (long q = 0; q < kp; q++)
                    s += (int32_t)a[i * lda + 2 * q] * panel[q * 32 + jj * 2] +
                         (int32_t)a[i * lda + 2 * q + 1] * panel[q * 32 + jj * 2 + 1];
                c[i * ldc + jb * 16 + jj] = s;
            }
        }
}

#ifdef LUMEN_X86
// Stores 16 accumulators of one row; a partial last panel goes through a buffer.
__attribute__((target("avx2")))
static inline void store_row16(int32_t *c, __m256i s0, __m256i s1, long valid) {
    if (valid >= 16) {
        _mm256_storeu_si256((__m256i *)c, s0);
        _mm256_storeu_si256((__m256i *)(c + 8), s1);
        return;
    }
    int32_t buf[16];
    _mm256_storeu_si256((__m256i *)buf, s0);
    _mm256_storeu_si256((__m256i *)(buf + 8), s1);
    memcpy(c, buf, (size_t)valid * sizeof(int32_t));
}

__attribute__((target("avx2")))
static void gemm_packed_avx2(const int16_t *a, long lda, const int16_t *bp, long n, long kp,
                             int32_t *c, long ldc, long m) {
    long panels = (n + 15) / 16;
    for (long jb = 0; jb < panels; jb++) {
        const int16_t *panel = bp + jb * kp * 32;
        long valid = n - jb * 16;
        int32_t *cp = c + jb * 16;
        long i = 0;
        for (; i + 4 <= m; i += 4) {
            const int16_t *a0 = a + i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
            __m256i s00 = _mm256_setzero_si256(), s01 = s00, s10 = s00, s11 = s00;
            __m256i s20 = s00, s21 = s00, s30 = s00, s31 = s00;
            for (long q = 0; q < kp; q++) {
                __m256i b0 = _mm256_loadu_si256((const __m256i *)(panel + q * 32));
                __m256i b1 = _mm256_loadu_si256((const __m256i *)(panel + q * 32 + 16));
                __m256i x;
                int32_t pair;
                memcpy(&pair, a0 + 2 * q, 4); x = _mm256_set1_epi32(pair);
                s00 = _mm256_add_epi32(s00, _mm256_madd_epi16(x, b0)); s01 = _mm256_add_epi32(s01, _mm256_madd_epi16(x, b1));
                memcpy(&pair, a1 + 2 * q, 4); x = _mm256_set1_epi32(pair);
                s10 = _mm256_add_epi32(s10, _mm256_madd_epi16(x, b0)); s11 = _mm256_add_epi32(s11, _mm256_madd_epi16(x, b1));
                memcpy(&pair, a2 + 2 * q, 4); x = _mm256_set1_epi32(pair);
                s20 = _mm256_add_epi32(s20, _mm256_madd_epi16(x, b0)); s21 = _mm256_add_epi32(s21, _mm256_madd_epi16(x, b1));
                memcpy(&pair, a3 + 2 * q, 4); x = _mm256_set1_epi32(pair);
                s30 = _mm256_add_epi32(s30, _mm256_madd_epi16(x, b0)); s31 = _mm256_add_epi32(s31, _mm256_madd_epi16(x, b1));
            }
            store_row16(cp + i * ldc, s00, s01, valid);
            store_row16(cp + (i + 1) * ldc, s10, s11, valid);
            store_row16(cp + (i + 2) * ldc, s20, s21, valid);
            store_row16(cp + (i + 3) * ldc, s30, s31, valid);
        }
        for (; i < m; i++) {
            const int16_t *a0 = a + i * lda;
            __m256i s00 = _mm256_setzero_si256(), s01 = s00;
            for (long q = 0; q < kp; q++) {
                int32_t pair;
                memcpy(&pair, a0 + 2 * q, 4);
                __m256i x = _mm256_set1_epi32(pair);
                s00 = _mm256_add_epi32(s00, _mm256_madd_epi16(x, _mm256_loadu_si256((const __m256i *)(panel + q * 32))));
                s01 = _mm256_add_epi32(s01, _mm256_madd_epi16(x, _mm256_loadu_si256((const __m256i *)(panel + q * 32 + 16))));
            }
            store_row16(cp + i * ldc, s00, s01, valid);
        }
    }
}
#endif

void lumen_s16_gemm_packed(const int16_t *a, long lda, const int16_t *bp, long n, long k,
                           int32_t *c, long ldc, long m) {
    long kp = (k + 1) / 2;
    if (m <= 0 || n <= 0) return;
#ifdef LUMEN_X86
    if (lumen_cpu_has_avx2()) { gemm_packed_avx2(a, lda, bp, n, kp, c, ldc, m); return; }
#endif
    gemm_packed_scalar(a, lda, bp, n, kp, c, ldc, m);
}

void lumen_s16_gemm_packed_scalar(const int16_t *a, long lda, const int16_t *bp, long n, long k,
                                  int32_t *c, long ldc, long m) {
    if (m <= 0 || n <= 0) return;
    gemm_packed_scalar(a, lda, bp, n, (k + 1) / 2, c, ldc, m);
}

// ---------------------------------------------------------------------------------------------
// Requantization

static inline int8_t requant_one(int32_t acc, int32_t bias, int32_t mult, int32_t right,
                                 int32_t zo, int32_t lo, int32_t hi) {
    int32_t x = (int32_t)((uint32_t)acc + (uint32_t)bias);
    int64_t ab = (int64_t)x * (int64_t)mult;
    int32_t hm = (int32_t)((ab + (1LL << 30)) >> 31);   // floor: round half up, as SRDHM
    int32_t mask = (int32_t)((1LL << right) - 1);
    int32_t rem = hm & mask;
    int32_t threshold = (mask >> 1) + (hm < 0 ? 1 : 0);
    int32_t r = (hm >> right) + (rem > threshold ? 1 : 0);
    int32_t v = (int32_t)((uint32_t)zo + (uint32_t)r);
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return (int8_t)v;
}

#ifdef LUMEN_X86
__attribute__((target("avx2")))
static inline __m256i requant8(__m256i x, __m256i mult, __m256i right, __m256i zo, __m256i lo, __m256i hi) {
    const __m256i nudge = _mm256_set1_epi64x(1LL << 30);
    __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, mult), nudge);
    __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(mult, 32)), nudge);
    // bits 31..62 of each 64-bit sum: the low dword after a logical shift by 31 (even lanes), the
    // high dword after a shift by 31 and a move up by 32 (odd lanes).
    __m256i hm = _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(_mm256_srli_epi64(odd, 31), 32), 0xAA);
    __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), right), _mm256_set1_epi32(1));
    __m256i rem = _mm256_and_si256(hm, mask);
    __m256i threshold = _mm256_add_epi32(_mm256_srli_epi32(mask, 1), _mm256_srli_epi32(hm, 31));
    __m256i up = _mm256_cmpgt_epi32(rem, threshold);                    // -1 where rounding up
    __m256i r = _mm256_sub_epi32(_mm256_srav_epi32(hm, right), up);
    __m256i v = _mm256_add_epi32(r, zo);
    return _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
}

// 8 int32 in [-128, 127] → 8 int8 at dst.
__attribute__((target("avx2")))
static inline void store8_s8(int8_t *dst, __m256i v) {
    __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
    __m128i w = _mm_packs_epi32(lo, hi);          // 8 int16
    __m128i b = _mm_packs_epi16(w, w);            // 8 int8 (twice)
    _mm_storel_epi64((__m128i *)dst, b);
}

__attribute__((target("avx2")))
static void requant_avx2(const int32_t *acc, long count, int8_t *dst, const int32_t *bias, const int32_t *mult,
                         const int32_t *right, int per_column, int32_t zo, int32_t lo, int32_t hi) {
    __m256i vzo = _mm256_set1_epi32(zo), vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
    __m256i vb = _mm256_set1_epi32(bias[0]), vm = _mm256_set1_epi32(mult[0]), vr = _mm256_set1_epi32(right[0]);
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        if (per_column) {
            vb = _mm256_loadu_si256((const __m256i *)(bias + i));
            vm = _mm256_loadu_si256((const __m256i *)(mult + i));
            vr = _mm256_loadu_si256((const __m256i *)(right + i));
        }
        __m256i x = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(acc + i)), vb);
        store8_s8(dst + i, requant8(x, vm, vr, vzo, vlo, vhi));
    }
    for (; i < count; i++) {
        long ch = per_column ? i : 0;
        dst[i] = requant_one(acc[i], bias[ch], mult[ch], right[ch], zo, lo, hi);
    }
}
#endif

void lumen_requant_s32_s8(const int32_t *acc, long count, int8_t *dst, const int32_t *bias, const int32_t *mult,
                          const int32_t *right, int per_column, int32_t zo, int32_t lo, int32_t hi) {
#ifdef LUMEN_X86
    if (lumen_cpu_has_avx2()) { requant_avx2(acc, count, dst, bias, mult, right, per_column, zo, lo, hi); return; }
#endif
    lumen_requant_s32_s8_scalar(acc, count, dst, bias, mult, right, per_column, zo, lo, hi);
}

void lumen_requant_s32_s8_scalar(const int32_t *acc, long count, int8_t *dst, const int32_t *bias, const int32_t *mult,
                                 const int32_t *right, int per_column, int32_t zo, int32_t lo, int32_t hi) {
    for (long i = 0; i < count; i++) {
        long ch = per_column ? i : 0;
        dst[i] = requant_one(acc[i], bias[ch], mult[ch], right[ch], zo, lo, hi);
    }
}

// ---------------------------------------------------------------------------------------------
// Max pooling without padding: planes (count, h, w) → (count, oh, ow).

void lumen_s8_max_pool(const int8_t *x, long planes, long h, long w, long kh, long kw, long sh, long sw,
                       long oh, long ow, int8_t *dst) {
    for (long pl = 0; pl < planes; pl++) {
        const int8_t *src = x + pl * h * w;
        int8_t *out = dst + pl * oh * ow;
        if (kh == 2 && kw == 2 && sh == 2 && sw == 2) {
            for (long oy = 0; oy < oh; oy++) {
                const int8_t *r0 = src + 2 * oy * w, *r1 = r0 + w;
                for (long ox = 0; ox < ow; ox++) {
                    int8_t a = r0[2 * ox] > r0[2 * ox + 1] ? r0[2 * ox] : r0[2 * ox + 1];
                    int8_t b = r1[2 * ox] > r1[2 * ox + 1] ? r1[2 * ox] : r1[2 * ox + 1];
                    out[oy * ow + ox] = a > b ? a : b;
                }
            }
            continue;
        }
        for (long oy = 0; oy < oh; oy++)
            for (long ox = 0; ox < ow; ox++) {
                int8_t m = -128;
                for (long i = 0; i < kh; i++)
                    for (long j = 0; j < kw; j++) {
                        int8_t v = src[(oy * sh + i) * w + ox * sw + j];
                        m = v > m ? v : m;
                    }
                out[oy * ow + ox] = m;
            }
    }
}

// ---------------------------------------------------------------------------------------------
// Float → int8 activations: q = clamp(round_half_even(x * inv) + z, lo, hi), NaN → z. Same
// arithmetic as Quantization.quantize (Double products, nearest-even rounding).

static inline int8_t quantize_one(double x, double inv, double z, double lo, double hi) {
    double v = x * inv;
    if (v != v) v = 0;
    v = __builtin_nearbyint(v) + z;   // default rounding mode: to nearest, ties to even
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return (int8_t)v;
}

#ifdef LUMEN_X86
__attribute__((target("avx2")))
static inline void quantize4(__m256d x, __m256d inv, __m256d z, __m256d lo, __m256d hi, int8_t *dst) {
    __m256d v = _mm256_mul_pd(x, inv);
    v = _mm256_and_pd(v, _mm256_cmp_pd(v, v, _CMP_ORD_Q));                 // NaN → 0
    v = _mm256_add_pd(_mm256_round_pd(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
    v = _mm256_min_pd(_mm256_max_pd(v, lo), hi);
    __m128i i = _mm256_cvtpd_epi32(v);
    i = _mm_packs_epi32(i, i);
    i = _mm_packs_epi16(i, i);
    int32_t four = _mm_cvtsi128_si32(i);
    memcpy(dst, &four, 4);
}

__attribute__((target("avx2")))
static void quantize_f32_avx2(const float *x, long n, double inv, double z, double lo, double hi, int8_t *dst) {
    __m256d vinv = _mm256_set1_pd(inv), vz = _mm256_set1_pd(z), vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);
    long i = 0;
    for (; i + 4 <= n; i += 4) quantize4(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), vinv, vz, vlo, vhi, dst + i);
    for (; i < n; i++) dst[i] = quantize_one(x[i], inv, z, lo, hi);
}

__attribute__((target("avx2")))
static void quantize_f64_avx2(const double *x, long n, double inv, double z, double lo, double hi, int8_t *dst) {
    __m256d vinv = _mm256_set1_pd(inv), vz = _mm256_set1_pd(z), vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);
    long i = 0;
    for (; i + 4 <= n; i += 4) quantize4(_mm256_loadu_pd(x + i), vinv, vz, vlo, vhi, dst + i);
    for (; i < n; i++) dst[i] = quantize_one(x[i], inv, z, lo, hi);
}
#endif

void lumen_quantize_f32_s8(const float *x, long n, double inv, double z, double lo, double hi, int8_t *dst) {
#ifdef LUMEN_X86
    if (lumen_cpu_has_avx2()) { quantize_f32_avx2(x, n, inv, z, lo, hi, dst); return; }
#endif
    for (long i = 0; i < n; i++) dst[i] = quantize_one(x[i], inv, z, lo, hi);
}

void lumen_quantize_f64_s8(const double *x, long n, double inv, double z, double lo, double hi, int8_t *dst) {
#ifdef LUMEN_X86
    if (lumen_cpu_has_avx2()) { quantize_f64_avx2(x, n, inv, z, lo, hi, dst); return; }
#endif
    for (long i = 0; i < n; i++) dst[i] = quantize_one(x[i], inv, z, lo, hi);
}

// ---------------------------------------------------------------------------------------------
// Range of the finite values (dynamic quantization's per-call activation range).

void lumen_f32_finite_min_max(const float *x, long n, float *lo, float *hi) {
    float a = *lo, b = *hi;
    for (long i = 0; i < n; i++) {
        float v = x[i];
        if (v - v != 0) continue;   // NaN or infinity
        a = v < a ? v : a;
        b = v > b ? v : b;
    }
    *lo = a;
    *hi = b;
}
