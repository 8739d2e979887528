/* The legalization helpers of jit_core::legalize, in C, for targets whose calls go to
 * compiled code: each with exactly the IR's semantics (docs/ir.md), on top of the
 * compiler's own runtime (on 32-bit ARM, libgcc's __aeabi_idiv, __aeabi_uidiv,
 * __aeabi_ldivmod, __aeabi_uldivmod, __aeabi_d2lz, ...). */
typedef long long i64;
typedef unsigned long long u64;

/* libgcc's division-by-zero path (__aeabi_idiv0) calls raise(SIGFPE); the helpers below
 * never divide by zero, so this is never reached, but the link needs it. */
int raise(int sig) { (void)sig; return 0; }

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

double tracejit_dsqrt(double x) { return __builtin_sqrt(x); }

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
