/* The benchmark kernels of bench/kernels/*.trace in C, one function each, taking the
 * trace's inputs in order and returning the last value the trace leaves with (the result
 * `tracejit bench` checks). Built by gcc -O2 for every target to compare against. Integer
 * arithmetic wraps as in the IR (through unsigned); no libc, so the same file builds
 * freestanding for ARM. */
typedef unsigned int u32;
typedef unsigned long long u64;

#ifdef __SOFTFP__
/* No FPU and no libm: the correctly rounded integer square root of runtime.c, which is
 * linked alongside for soft-float targets. */
double tracejit_dsqrt_soft(double x);
#define SQRT tracejit_dsqrt_soft
#else
#define SQRT __builtin_sqrt
#endif

__attribute__((noinline)) int bench_mix(int a, int b) {
    u32 x = (u32)a ^ ((u32)b * 0x9e3779b9u);
    return (int)(x + (x >> 7));
}

int k_sum(int n, int acc) {
    for (;;) {
        int next;
        if (__builtin_add_overflow(acc, n, &next)) return acc;
        n--;
        if (n <= 0) return next;
        acc = next;
    }
}

int k_sieve(unsigned char *b, int len, int j, int step, int count) {
    while (j < len) {
        b[j] = 1;
        j += step;
        count++;
    }
    return count;
}

int k_crc32(const unsigned char *b, int len, int i, int crc) {
    u32 c = (u32)crc;
    while (i < len) {
        c ^= b[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
        i++;
    }
    return (int)c;
}

int k_fannkuch(int *a, int len, int i, int j, int swaps) {
    while (i < j && (u32)j < (u32)len) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
        swaps++;
    }
    return swaps;
}

int k_array_sum(const int *a, int len, int i, int sum) {
    while (i < len) {
        int next;
        if (__builtin_add_overflow(sum, a[i], &next)) return sum;
        sum = next;
        i++;
    }
    return sum;
}

double k_nbody(int n, double x, double y, double vx, double vy) {
    for (;;) {
        double d2 = x * x + y * y;
        double mag = 0.01 / (d2 * SQRT(d2));
        vx = vx - x * mag;
        vy = vy - y * mag;
        x = x + 0.01 * vx;
        y = y + 0.01 * vy;
        if (--n <= 0) return x;
    }
}

double k_spectral_norm(const double *u, int n, int i, int j, double sum) {
    while (j < n) {
        int ij = i + j;
        double a = 1.0 / (double)((int)((u32)ij * (u32)(ij + 1)) / 2 + i + 1);
        sum += a * (u[j] + 1.0);
        j++;
    }
    return sum;
}

int k_mandelbrot(int n, double cr, double ci, double zr, double zi) {
    for (;;) {
        double rr = zr * zr, ii = zi * zi;
        if (!(rr + ii <= 4.0)) return n;
        double nr = rr - ii + cr;
        zi = zr * zi * 2.0 + ci;
        zr = nr;
        if (--n <= 0) return n;
    }
}

int k_calls(int n, int acc) {
    for (;;) {
        acc = bench_mix(acc, n);
        if (--n <= 0) return acc;
    }
}

long long k_xorshift64(int n, long long seed) {
    u64 x = (u64)seed;
    for (;;) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        u64 out = x * 2685821657736338717ull;
        if (--n <= 0) return (long long)out;
    }
}

int k_constants(int n, int x) {
    u32 v = (u32)x;
    for (;;) {
        v = v * 1664525u + 1013904223u;
        v ^= 305419896u;
        v &= 2147483647u;
        v += 0xDEADBEEFu;
        v ^= 19088743u;
        if (--n <= 0) return (int)v;
    }
}

/* bench/trees/hot_branch.trace: the root's body on even counts, the bridge's on odd. */
int k_hot_branch(int n, int acc, int *b) {
    for (;;) {
        if ((n & 1) == 0) {
            acc = (int)((u32)acc + (u32)n);
            b[0] = acc;
        } else {
            acc = (int)((u32)acc + (u32)n * 3u);
            b[1] = acc;
        }
        n--;
        if (n <= 0) return acc;
    }
}

/* The allocation kernels' objects, laid out as tracejit lays them out (a header of two
 * 32-bit words, the type id and the collector's flags, then the fields), bumped out of a
 * static arena that starts over when it is full (all but the last objects are garbage in
 * box_floats; build_list's 10,000 nodes fit). */
typedef struct { u32 tid, flags; double floatval; } W_FloatObject;
typedef struct Node { u32 tid, flags; long long value; struct Node *next; } Node;
static unsigned char arena[1 << 20] __attribute__((aligned(8)));
static unsigned long arena_used;

static void *bump(unsigned long size) {
    if (arena_used + size > sizeof arena) arena_used = 0;
    void *p = arena + arena_used;
    arena_used += size;
    return p;
}

double k_box_floats(int n, double x) {
    W_FloatObject *b = bump(sizeof *b);
    b->tid = 1; b->flags = 0; b->floatval = x;
    for (;;) {
        double f = b->floatval * 1.0000001 + 0.5;
        W_FloatObject *c = bump(sizeof *c);
        c->tid = 1; c->flags = 0; c->floatval = f;
        b = c;
        if (--n <= 0) return f;
    }
}

long long k_build_list(int n) {
    Node *p = bump(sizeof *p);
    p->tid = 1; p->flags = 0; p->value = 0; p->next = 0;
    for (;;) {
        long long v = (long long)((u64)p->value + (u64)(long long)n);
        Node *q = bump(sizeof *q);
        q->tid = 1; q->flags = 0; q->value = v; q->next = p;
        p = q;
        if (--n <= 0) return v;
    }
}
