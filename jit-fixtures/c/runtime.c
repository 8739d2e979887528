/* The legalization helpers of jit_core::legalize, in C, for targets whose calls go to
 * compiled code: each with exactly the IR's semantics (docs/ir.md), on top of the
 * compiler's own runtime (on 32-bit ARM, libgcc's __aeabi_idiv, __aeabi_uidiv,
 * __aeabi_ldivmod, __aeabi_uldivmod, __aeabi_d2lz, ...). */
typedef long long i64;
typedef unsigned long long u64;

#if defined(__arm__)
/* libgcc's division-by-zero path (__aeabi_idiv0) calls raise(SIGFPE); the helpers below
 * never divide by zero, so this is never reached, but the freestanding link needs it. */
int raise(int sig) { (void)sig; return 0; }
#endif

int tracejit_sdiv32(int a, int b) { return b == 0 ? 0 : b == -1 ? (int)(0u - (unsigned)a) : a / b; }
int tracejit_srem32(int a, int b) { return b == 0 ? a : b == -1 ? 0 : a % b; }
int tracejit_udiv32(int a, int b) { return b == 0 ? 0 : (int)((unsigned)a / (unsigned)b); }
int tracejit_urem32(int a, int b) { return b == 0 ? a : (int)((unsigned)a % (unsigned)b); }
i64 tracejit_sdiv64(i64 a, i64 b) { return b == 0 ? 0 : b == -1 ? (i64)(0ull - (u64)a) : a / b; }
i64 tracejit_srem64(i64 a, i64 b) { return b == 0 ? a : b == -1 ? 0 : a % b; }
i64 tracejit_udiv64(i64 a, i64 b) { return b == 0 ? 0 : (i64)((u64)a / (u64)b); }
i64 tracejit_urem64(i64 a, i64 b) { return b == 0 ? a : (i64)((u64)a % (u64)b); }

int tracejit_d2i(double x) {
    if (x != x) return 0;
    if (x >= 2147483648.0) return 2147483647;
    if (x <= -2147483649.0) return -2147483647 - 1;
    return (int)x;
}

i64 tracejit_d2l(double x) {
    if (x != x) return 0;
    if (x >= 9223372036854775808.0) return 9223372036854775807LL;
    if (x < -9223372036854775808.0) return -9223372036854775807LL - 1;
    return (i64)x;
}

/* f64 to the bits of the nearest f32 and back (cast_f64_to_f32, cast_f32_to_f64; docs/ir.md
 * §4), in integer arithmetic: round to nearest even with subnormals in full; a NaN keeps its
 * sign and its payload's top bits and is made quiet, as SSE and VFP do (libgcc's
 * __aeabi_d2f returns one fixed NaN instead). */
int tracejit_d2f(double x) {
    u64 ix;
    __builtin_memcpy(&ix, &x, 8);
    unsigned sign = (unsigned)(ix >> 63) << 31;
    int exp = (int)((ix >> 52) & 0x7ff);
    u64 frac = ix & ((1ull << 52) - 1);
    if (exp == 0x7ff)
        return (int)(frac == 0 ? sign | 0x7f800000u
                               : sign | 0x7fc00000u | ((unsigned)(frac >> 29) & 0x003fffffu));
    if (exp == 0 && frac == 0) return (int)sign;
    u64 m = exp == 0 ? frac : frac | (1ull << 52);
    int e = exp == 0 ? -1074 : exp - 1075;
    int lz = __builtin_clzll(m) - 11;
    m <<= lz;
    e -= lz;
    int lead = e + 52;
    int keep = lead >= -126 ? 24 : 24 - (-126 - lead);
    if (keep <= 0)
        return (int)(keep == 0 && m > (1ull << 52) ? sign | 1u : sign);
    unsigned drop = 53 - (unsigned)keep;
    u64 q = m >> drop, rest = m & ((1ull << drop) - 1), half = 1ull << (drop - 1);
    if (rest > half || (rest == half && (q & 1))) q++;
    if (lead >= -126) {
        if (q == (1ull << 24)) { q >>= 1; lead++; }
        if (lead > 127) return (int)(sign | 0x7f800000u);
        return (int)(sign | ((unsigned)(lead + 127) << 23) | ((unsigned)q & 0x007fffffu));
    }
    return (int)(sign | (unsigned)q);
}

double tracejit_f2d(int bits) {
    unsigned b = (unsigned)bits;
    u64 sign = (u64)(b >> 31) << 63, frac = b & 0x007fffffu, out;
    unsigned exp = (b >> 23) & 0xff;
    if (exp == 0xff)
        out = frac == 0 ? sign | 0x7ff0000000000000ull : sign | 0x7ff8000000000000ull | (frac << 29);
    else if (exp == 0 && frac == 0)
        out = sign;
    else if (exp == 0) {
        u64 p = 63 - (u64)__builtin_clzll(frac);
        out = sign | ((p + 1023 - 149) << 52) | ((frac << (52 - p)) & ((1ull << 52) - 1));
    } else
        out = sign | ((u64)(exp - 127 + 1023) << 52) | (frac << 29);
    double x;
    __builtin_memcpy(&x, &out, 8);
    return x;
}

/* Any NaN as the canonical quiet NaN 0x7ff8000000000000: what the IR's arithmetic makes
 * (docs/ir.md §5), where libgcc's routines and VFP keep an operand's payload. */
static double canon(double x) {
    u64 ix;
    __builtin_memcpy(&ix, &x, 8);
    if ((ix & 0x7fffffffffffffffull) > 0x7ff0000000000000ull) {
        ix = 0x7ff8000000000000ull;
        __builtin_memcpy(&x, &ix, 8);
    }
    return x;
}

double tracejit_dcanon(double x) { return canon(x); }
double tracejit_dmul(double x, double y) { return canon(x * y); }
double tracejit_ddiv(double x, double y) { return canon(x / y); }

/* The correctly rounded square root in integer arithmetic, for targets without an FPU
 * (libgcc has none, and a static libm brings errno and TLS along). x = m * 2^e with m of
 * 53 bits and e even; the root of m * 2^52 is found bit by bit (every partial value fits
 * 64 bits), then rounded to nearest: the remainder exceeds the root exactly when the true
 * root lies above root + 1/2 (it never lies on it). */
double tracejit_dsqrt_soft(double x) {
    u64 ix, out;
    __builtin_memcpy(&ix, &x, 8);
    u64 frac = ix & 0xfffffffffffffull;
    int biased = (int)((ix >> 52) & 0x7ff);
    if (biased == 0x7ff) {
        if (frac != 0) return canon(x);                   /* NaN */
        if (!(ix >> 63)) return x;                        /* +inf */
        ix = 0x7ff8000000000000ull;                       /* sqrt(-inf) */
        __builtin_memcpy(&x, &ix, 8);
        return x;
    }
    if ((ix << 1) == 0) return x;                         /* +-0 */
    if (ix >> 63) {                                       /* negative */
        ix = 0x7ff8000000000000ull;
        __builtin_memcpy(&x, &ix, 8);
        return x;
    }
    u64 m;
    int e;
    if (biased == 0) {                                    /* subnormal: normalize */
        m = frac;
        e = 1 - 1075;
        while (m < (1ull << 52)) { m <<= 1; e--; }
    } else {
        m = frac | (1ull << 52);
        e = biased - 1075;
    }
    if (e & 1) { m <<= 1; e--; }                          /* e even; m < 2^54 */
    u64 res = 0, rem = 0;
    for (int i = 52; i >= 0; i--) {                       /* N = m * 2^52: bits 105..0 */
        int hi = 2 * i + 1 - 52, lo = 2 * i - 52;
        u64 two = ((hi >= 0 ? (m >> hi) & 1 : 0) << 1) | (lo >= 0 ? (m >> lo) & 1 : 0);
        rem = (rem << 2) | two;
        u64 trial = (res << 2) | 1;
        if (rem >= trial) { rem -= trial; res = (res << 1) | 1; } else { res <<= 1; }
    }
    u64 mant = res + (rem > res ? 1 : 0);
    int exp2 = e / 2 - 26;                                /* value = mant * 2^exp2 */
    if (mant == (1ull << 53)) { mant >>= 1; exp2++; }
    out = ((u64)(exp2 + 52 + 1023) << 52) | (mant & 0xfffffffffffffull);
    __builtin_memcpy(&x, &out, 8);
    return x;
}

#ifdef __SOFTFP__
double tracejit_dsqrt(double x) { return tracejit_dsqrt_soft(x); }
#else
double tracejit_dsqrt(double x) { return canon(__builtin_sqrt(x)); }
#endif

/* Correctly rounded x + y in integer arithmetic. libgcc's ARM __aeabi_dadd cannot be used:
 * when the exponents differ by exactly 33 and the signs differ, it folds the bits of the
 * smaller operand's low word into one sticky bit before the result is shifted left one
 * place, so the rounding sees a wrong guard bit (found by `tracejit fuzz`: -2^63 +
 * 2147483646.5 comes out one ulp too large). Mantissas carry 10 guard bits and a sticky
 * bit; the result is rounded to nearest, ties to even. Any NaN result is the quiet NaN
 * 0x7ff8000000000000, as in the interpreter. */
double tracejit_dadd_soft(double x, double y) {
    const u64 frac = 0xfffffffffffffull;
    u64 a, b, out;
    __builtin_memcpy(&a, &x, 8);
    __builtin_memcpy(&b, &y, 8);
    int ea = (int)((a >> 52) & 0x7ff), eb = (int)((b >> 52) & 0x7ff);
    if (ea == 0x7ff || eb == 0x7ff) {
        int nan = (ea == 0x7ff && (a & frac)) || (eb == 0x7ff && (b & frac))
                  || (ea == 0x7ff && eb == 0x7ff && (a >> 63) != (b >> 63));
        if (nan) out = 0x7ff8000000000000ull;
        else out = ea == 0x7ff ? a : b;                      /* an infinity */
        __builtin_memcpy(&x, &out, 8);
        return x;
    }
    if ((b << 1) == 0) {                                      /* y is a zero */
        if ((a << 1) == 0) a &= b;                            /* -0 + -0 = -0, else +0 */
        __builtin_memcpy(&x, &a, 8);
        return x;
    }
    if ((a << 1) == 0) return y;
    if ((a << 1) < (b << 1)) {                                /* |x| >= |y| from here */
        u64 t = a; a = b; b = t;
        int te = ea; ea = eb; eb = te;
    }
    u64 sign = a >> 63;
    u64 ma = a & frac, mb = b & frac;
    if (ea) ma |= 1ull << 52; else ea = 1;
    if (eb) mb |= 1ull << 52; else eb = 1;
    ma <<= 10;                                                /* leading bit at 62 */
    mb <<= 10;
    int d = ea - eb;
    if (d >= 64) mb = mb != 0;
    else if (d > 0) mb = (mb >> d) | ((mb << (64 - d)) != 0);
    u64 m;
    int e = ea;
    if ((a >> 63) == (b >> 63)) {
        m = ma + mb;
        if (m >> 63) { m = (m >> 1) | (m & 1); e++; }
    } else {
        m = ma - mb;
        if (m == 0) return 0.0;                               /* x - x = +0 */
        while (m < (1ull << 62) && e > 1) { m <<= 1; e--; }
    }
    u64 rest = m & 0x3ff;
    m >>= 10;
    if (rest > 0x200 || (rest == 0x200 && (m & 1))) m++;
    if (m >> 53) { m >>= 1; e++; }
    if (e >= 0x7ff) out = (sign << 63) | 0x7ff0000000000000ull;
    else if (m >> 52) out = (sign << 63) | ((u64)e << 52) | (m & frac);
    else out = (sign << 63) | m;                              /* subnormal (e is 1) */
    __builtin_memcpy(&x, &out, 8);
    return x;
}

double tracejit_dsub_soft(double x, double y) { return tracejit_dadd_soft(x, -y); }

#ifdef __SOFTFP__
/* libgcc's __aeabi_dadd where it rounds correctly, which is everywhere but one shape:
 * measured on the emulated ARM926 (jit-emu/tests/soft_float.rs), every misrounded sum
 * has operands of different signs whose exponents (a subnormal's counted as 1) differ by
 * exactly 33. Those, with a margin of one binade each side, take the integer routine;
 * the rest take libgcc's, about half the instructions. */
static int libgcc_adds_right(double x, double y) {
    u64 a, b;
    __builtin_memcpy(&a, &x, 8);
    __builtin_memcpy(&b, &y, 8);
    if (((a ^ b) >> 63) == 0) return 1;
    int ea = (int)((a >> 52) & 0x7ff), eb = (int)((b >> 52) & 0x7ff);
    ea += ea == 0;
    eb += eb == 0;
    int d = ea > eb ? ea - eb : eb - ea;
    return d < 32 || d > 34;
}

double tracejit_dadd(double x, double y) {
    return libgcc_adds_right(x, y) ? canon(x + y) : tracejit_dadd_soft(x, y);
}
double tracejit_dsub(double x, double y) { return tracejit_dadd(x, -y); }
#else
double tracejit_dadd(double x, double y) { return canon(x + y); }
double tracejit_dsub(double x, double y) { return canon(x - y); }
#endif

i64 tracejit_umulh64(i64 a, i64 b) {
    u64 x = (u64)a, y = (u64)b;
    u64 xl = x & 0xffffffffu, xh = x >> 32, yl = y & 0xffffffffu, yh = y >> 32;
    u64 ll = xl * yl, lh = xl * yh, hl = xh * yl, hh = xh * yh;
    u64 mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    return (i64)(hh + (lh >> 32) + (hl >> 32) + (mid >> 32));
}

i64 tracejit_mul64(i64 a, i64 b) { return (i64)((u64)a * (u64)b); }

int tracejit_mul64_overflows(i64 a, i64 b) {
    i64 r;
    return __builtin_mul_overflow(a, b, &r);
}
