# Generators: a generator pipeline of squares filtered and summed.
def squares(n):
    for i in range(n):
        yield i * i

def evens(it):
    for x in it:
        if x % 2 == 0:
            yield x

def run(n):
    return sum(evens(squares(n)))

print(run(500000))
