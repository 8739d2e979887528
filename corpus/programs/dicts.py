# Dicts: counting words, integer keys, and lookups in a loop.
def count(words):
    d = {}
    for w in words:
        d[w] = d.get(w, 0) + 1
    return d

def int_keys(n):
    d = {}
    for i in range(n):
        d[i % 1000] = d.get(i % 1000, 0) + i
    return sum(d.values())

words = ["a", "bb", "ccc", "a", "dd", "bb"] * 20000
print(len(count(words)), int_keys(200000))
