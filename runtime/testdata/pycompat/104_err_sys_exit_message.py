# A script that stops with sys.exit("message"): status 1, the message on stderr.
import sys
print("validating")
sys.exit("fatal: bad configuration")
