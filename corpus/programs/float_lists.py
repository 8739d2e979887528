# Lists of floats: a moving average and a prefix sum over a list of floats.
def moving_average(xs, w):
    out = []
    s = 0.0
    for i, x in enumerate(xs):
        s += x
        if i >= w:
            s -= xs[i - w]
        out.append(s / min(i + 1, w))
    return out

xs = [float(i % 13) * 0.25 for i in range(200000)]
ys = moving_average(xs, 8)
acc = 0.0
for y in ys:
    acc += y
print(acc)
