# Classes and instances: attribute reads and writes, method calls, isinstance.
class Vec:
    def __init__(self, x, y):
        self.x = x
        self.y = y
    def add(self, other):
        return Vec(self.x + other.x, self.y + other.y)
    def dot(self, other):
        return self.x * other.x + self.y * other.y

class Particle:
    def __init__(self, pos, vel):
        self.pos = pos
        self.vel = vel
    def step(self, dt):
        self.pos = self.pos.add(Vec(self.vel.x * dt, self.vel.y * dt))

def simulate(n):
    ps = [Particle(Vec(float(i), 0.0), Vec(1.0, float(i % 7))) for i in range(50)]
    for _ in range(n):
        for p in ps:
            p.step(0.01)
    return sum(p.pos.dot(p.pos) for p in ps)

print(simulate(2000))
