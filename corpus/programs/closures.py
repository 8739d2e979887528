# Closures: a counter closure and a composed function applied in a loop.
def make_counter():
    count = [0]
    def inc(k):
        count[0] += k
        return count[0]
    return inc

def compose(f, g):
    return lambda x: f(g(x))

def run(n):
    inc = make_counter()
    h = compose(lambda x: x + 1, lambda x: x * 2)
    t = 0
    for i in range(n):
        t += h(i) + inc(1)
    return t

print(run(300000))
