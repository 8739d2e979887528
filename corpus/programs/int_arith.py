# Integer arithmetic with overflow checks: a long loop of adds, multiplies, shifts and
# modulo on small ints, the kind PyPy traces into int_add_ovf / int_mul_ovf guards.
def collatz_steps(limit):
    total = 0
    for n in range(1, limit):
        x = n
        steps = 0
        while x != 1:
            if x % 2 == 0:
                x = x // 2
            else:
                x = 3 * x + 1
            steps += 1
        total += steps
    return total

def checksum(n):
    h = 0
    for i in range(n):
        h = (h * 31 + i) & 0xFFFFFFFF
        h ^= h >> 7
    return h

print(collatz_steps(3000), checksum(200000))
