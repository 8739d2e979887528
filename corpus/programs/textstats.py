# Written after the importer (a held-out check): word statistics over generated text —
# strings, string formatting, dicts, lists of floats, a generator, a closure, exceptions
# and integer arithmetic with overflow checks.

def words(n):
    vocab = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    for i in range(n):
        yield vocab[(i * 7 + i // 3) % len(vocab)]


def weigher(base):
    def weigh(w):
        return base + len(w) * 0.5
    return weigh


def main():
    freq = {}
    lengths = []
    weigh = weigher(1.25)
    score = 0.0
    checksum = 1
    for w in words(60000):
        freq[w] = freq.get(w, 0) + 1
        lengths.append(float(len(w)))
        score += weigh(w)
        checksum = (checksum * 31 + ord(w[0])) & 0xFFFFFFFF
        try:
            if w[1] == "x":
                raise KeyError(w)
        except KeyError:
            checksum += 1
    mean = sum(lengths) / len(lengths)
    report = ", ".join(["%s=%d" % (k, freq[k]) for k in sorted(freq)])
    print("%.3f %.1f %d %s" % (mean, score, checksum, report))


main()
