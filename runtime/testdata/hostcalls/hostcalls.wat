;; hostcalls: host-call-heavy Extism plugins for BenchmarkExtismHostCalls.
;; run() reads its first input byte n (0 when the input is empty) and calls
;; the kernel's input_load_u64 n*10000 times, then returns 0 with no output.
;; act() does the same count of action requests: it copies the request
;; {"action":"kv.get","args":{"key":"k"}} into Extism memory once, then
;; calls extism:host/user.enact_call n*10000 times, freeing each reply.
;; load() calls the kernel's load_u8 n*10000 times on a block it allocates
;; (a kernel function the go-sdk forwards to the kernel module).
;; Built with: wat2wasm hostcalls.wat -o hostcalls.wasm (wabt 1.0.32, Debian package wabt)
;; sha256 of hostcalls.wasm: 183c70283d3bb96f3ffc5cdfce232c6c364ca039f3ee1cd3a2323672a365cf60
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/user" "enact_call" (func $enact_call (param i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"action\":\"kv.get\",\"args\":{\"key\":\"k\"}}")
  (func $count (result i32)
    (if (result i32) (i64.gt_u (call $input_length) (i64.const 0))
      (then (i32.mul (call $input_load_u8 (i64.const 0)) (i32.const 10000)))
      (else (i32.const 0))))
  (func (export "load") (result i32)
    (local $n i32) (local $block i64)
    (local.set $n (call $count))
    (local.set $block (call $alloc (i64.const 8)))
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (drop (call $load_u8 (local.get $block)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
    (i32.const 0))
  (func (export "act") (result i32)
    (local $n i32) (local $i i32) (local $req i64)
    (local.set $n (call $count))
    ;; the request is the 38 bytes at address 0
    (local.set $req (call $alloc (i64.const 38)))
    (block $copied
      (loop $copy
        (br_if $copied (i32.eq (local.get $i) (i32.const 38)))
        (call $store_u8 (i64.add (local.get $req) (i64.extend_i32_u (local.get $i))) (i32.load8_u (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (call $free (call $enact_call (local.get $req)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
    (i32.const 0))
  (func (export "run") (result i32)
    (local $n i32)
    (if (i64.gt_u (call $input_length) (i64.const 0))
      (then (local.set $n (i32.mul (call $input_load_u8 (i64.const 0)) (i32.const 10000)))))
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (drop (call $input_load_u64 (i64.const 0)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
    (i32.const 0)))
