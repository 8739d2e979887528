# A long loop whose branches go both ways at different rates, so guards fail often enough
# to grow bridges; and a loop with a type change half way.
def branchy(n):
    a = b = c = 0
    for i in range(n):
        if i % 3 == 0:
            a += i
        elif i % 5 == 0:
            b += 2 * i
        else:
            c -= 1
        if i % 7 == 0:
            c += a % 11
    return a, b, c

def mixed(n):
    x = 0
    for i in range(n):
        if i < n // 2:
            x += i
        else:
            x += 0.5
    return x

print(branchy(500000), mixed(200000))
