# A second new program: integer and float arithmetic with overflow checks, closures and
# lists of objects, written after the importer.

def make_scaler(k):
    def scale(x):
        return x * k + (x >> 3)
    return scale


class Point(object):
    def __init__(self, x, y):
        self.x = x
        self.y = y


def main():
    scalers = [make_scaler(k) for k in range(1, 6)]
    pts = [Point(i, -i) for i in range(500)]
    acc = 0
    dist = 0.0
    for n in range(200):
        for p in pts:
            f = scalers[n % 5]
            acc += f(p.x) - p.y
            if acc > 1 << 40:
                acc = acc % 1000003
            dist += (p.x * p.x + p.y * p.y) ** 0.5
    print(acc, "%.3f" % dist)


main()
