# The usual script layout: functions and a __main__ guard.
import sys
def parse(text):
    return [int(t) for t in text.split(",") if t.strip()]
def summarize(nums):
    return {"count": len(nums), "sum": sum(nums), "max": max(nums) if nums else None}
def main():
    nums = parse("3, 1, 4, 1, 5, 9, 2, 6")
    print(summarize(nums))
    return 0
print("module name:", __name__)
if __name__ == "__main__":
    status = main()
    print("status", status)
else:
    print("imported")
