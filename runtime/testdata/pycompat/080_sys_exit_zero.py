# A script that ends with sys.exit(main()) and a zero status.
import sys
def main():
    print("work done")
    return 0
if __name__ == "__main__":
    sys.exit(main())
print("not reached")
