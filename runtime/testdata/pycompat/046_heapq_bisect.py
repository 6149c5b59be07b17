# heapq and bisect.
import heapq
import bisect
h = []
for v in [5, 1, 8, 3, 9, 2]:
    heapq.heappush(h, v)
print(h[0], [heapq.heappop(h) for _ in range(3)], h)
data = [7, 2, 9, 4, 1, 8]
heapq.heapify(data)
print(data, heapq.nlargest(3, [7, 2, 9, 4, 1, 8]), heapq.nsmallest(2, [7, 2, 9, 4, 1, 8]))
print(heapq.nlargest(2, [{"n": "a", "s": 3}, {"n": "b", "s": 7}, {"n": "c", "s": 5}], key=lambda d: d["s"]))
print(list(heapq.merge([1, 4, 7], [2, 5, 8], [0, 9])), heapq.heappushpop([1, 5], 3), heapq.heapreplace([1, 5], 3))
tasks = []
for prio, name in [(2, "write"), (1, "plan"), (3, "ship"), (1, "again")]:
    heapq.heappush(tasks, (prio, name))
print([heapq.heappop(tasks)[1] for _ in range(len(tasks))])
grades = [60, 70, 80, 90]
print([("FDCBA"[bisect.bisect(grades, s)]) for s in [33, 60, 75, 90, 100]])
xs = [1, 3, 3, 3, 7]
print(bisect.bisect_left(xs, 3), bisect.bisect_right(xs, 3), bisect.bisect_left(xs, 4), bisect.bisect(xs, 0))
bisect.insort(xs, 5)
bisect.insort_left(xs, 3)
print(xs, bisect.bisect_left([{"k": 1}, {"k": 5}], 3, key=lambda d: d["k"]))
def dijkstra(graph, src):
    dist = {src: 0}
    pq = [(0, src)]
    while pq:
        d, u = heapq.heappop(pq)
        if d > dist.get(u, float("inf")):
            continue
        for v, w in graph.get(u, []):
            if d + w < dist.get(v, float("inf")):
                dist[v] = d + w
                heapq.heappush(pq, (d + w, v))
    return dict(sorted(dist.items()))
print(dijkstra({"a": [("b", 1), ("c", 4)], "b": [("c", 2), ("d", 5)], "c": [("d", 1)]}, "a"))
