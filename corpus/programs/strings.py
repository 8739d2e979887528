# Strings and string formatting: building, slicing, joining and %-formatting.
def render(n):
    parts = []
    for i in range(n):
        parts.append("%d:%s" % (i, str(i * 3)))
    return len(",".join(parts))

def count_chars(s):
    n = 0
    for ch in s:
        if ch == "a":
            n += 1
    return n

text = "abracadabra" * 20000
print(render(50000), count_chars(text), "{}-{}".format(len(text), text[3:9]))
