# Exceptions: raising and catching in a loop, and a try/finally.
class Odd(Exception):
    pass

def check(i):
    if i % 3 == 0:
        raise Odd(i)
    return i

def run(n):
    caught = 0
    total = 0
    for i in range(n):
        try:
            total += check(i)
        except Odd:
            caught += 1
        finally:
            total += 1
    return caught, total

print(run(200000))
