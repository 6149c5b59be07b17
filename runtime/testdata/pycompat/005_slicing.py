# Slicing of sequences.
s = "Hello, World"
print(s[::-1], s[:5], s[-5:], s[::2], s[1:-1:3], s[100:], s[-100:3])
nums = list(range(10))
print(nums[2:8:2], nums[::-2], nums[-3:], nums[:-7], nums[8:2:-1])
nums[2:5] = ["a", "b"]
print(nums)
del nums[::3]
print(nums)
nums[:] = [1, 2, 3]
print(nums, nums[slice(1, None)], slice(1, 10, 2).indices(5))
t = (1, 2, 3, 4)
print(t[1:3], t[::-1], b"bytes"[1:3], bytearray(b"abc")[::-1])
print("racecar" == "racecar"[::-1], "palindrome"[::-1])
m = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
print([row[1] for row in m], [r[::-1] for r in m[::-1]], list(zip(*m)))
words = "one two three four five".split()
print(words[-1], words[len(words) // 2], " ".join(words[1::2]))
print(list(range(20))[3:17:4], range(0, 100, 7)[3:6], range(10)[::-1][0])
