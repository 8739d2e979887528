# Lists of objects: a list of nodes linked and walked, and sorted by a key.
class Node:
    def __init__(self, value, nxt):
        self.value = value
        self.next = nxt

def make_chain(n):
    head = None
    for i in range(n):
        head = Node(i, head)
    return head

def walk(head):
    total = 0
    while head is not None:
        total += head.value
        head = head.next
    return total

def run(n):
    t = 0
    for _ in range(n):
        t += walk(make_chain(500))
    return t

print(run(400))
