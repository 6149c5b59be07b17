;; hostcalls: a host-call-heavy Extism plugin for BenchmarkExtismHostCalls.
;; run() reads its first input byte n (0 when the input is empty) and calls
;; the kernel's input_load_u64 n*10000 times, then returns 0 with no output.
;; Built with: wat2wasm hostcalls.wat -o hostcalls.wasm (wabt 1.0.32, Debian package wabt)
;; sha256 of hostcalls.wasm: f97488098732e9fedbb93aa1f4765f4bf3b4671463d0edca7b12afbd3c73c9a5
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (memory (export "memory") 1)
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
