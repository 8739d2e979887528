# Written after the importer, to check that a new program using the corpus's features
# imports without code changes: classes, a dict of counts, floats, strings, a generator,
# exceptions and a loop whose branches grow bridges.

class Item(object):
    def __init__(self, name, price, qty):
        self.name = name
        self.price = price
        self.qty = qty

    def value(self):
        return self.price * self.qty


def restock(items):
    for it in items:
        if it.qty < 3:
            yield it


def main():
    items = [Item("item%d" % i, 1.5 + (i % 7) * 0.25, i % 11) for i in range(2000)]
    counts = {}
    total = 0.0
    low = 0
    for round_ in range(30):
        for it in items:
            total += it.value()
            key = it.name[-1]
            counts[key] = counts.get(key, 0) + 1
        for it in restock(items):
            low += 1
            it.qty += 5
        for it in items:
            try:
                if it.qty > 9:
                    raise ValueError(it.name)
                it.qty += 1
            except ValueError:
                it.qty = 0
    print("%.2f %d %d" % (total, low, len(counts)))


main()
