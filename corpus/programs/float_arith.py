# Float arithmetic: a numeric integration, a Newton square root and a dot product.
def integrate(f, a, b, n):
    h = (b - a) / n
    s = 0.0
    for i in range(n):
        x = a + (i + 0.5) * h
        s += f(x)
    return s * h

def newton_sqrt(v):
    x = v
    for _ in range(30):
        x = 0.5 * (x + v / x)
    return x

def run(n):
    total = 0.0
    for i in range(1, n):
        total += newton_sqrt(float(i)) - i ** 0.5
    return total

print(integrate(lambda x: x * x * x - 2.0 * x, 0.0, 3.0, 200000), run(3000))
