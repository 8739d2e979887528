# Written after the importer (a held-out check): matrices as lists of lists of floats,
# objects with methods, integer loops that branch.

class Matrix(object):
    def __init__(self, n):
        self.n = n
        self.rows = [[float((i * n + j) % 13) for j in range(n)] for i in range(n)]

    def mul(self, other):
        n = self.n
        out = Matrix(n)
        for i in range(n):
            row = self.rows[i]
            res = out.rows[i]
            for j in range(n):
                s = 0.0
                for k in range(n):
                    s += row[k] * other.rows[k][j]
                res[j] = s
        return out

    def trace(self):
        return sum([self.rows[i][i] for i in range(self.n)])


def main():
    a = Matrix(24)
    b = Matrix(24)
    t = 0.0
    odd = 0
    for r in range(12):
        c = a.mul(b)
        t += c.trace()
        for i in range(c.n):
            if int(c.rows[i][0]) % 2:
                odd += 1
            else:
                odd -= 1
    print("%.1f %d" % (t, odd))


main()
