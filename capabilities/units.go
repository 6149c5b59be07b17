package capabilities

import (
	"fmt"
	"math/big"
	"strings"
	"time"
)

// ParseMemory parses an amount of memory such as "1GB", "512MB", "64MiB",
// "1024KB" or "1048576" into bytes. The units, case-insensitive, are B, KB,
// MB, GB and TB (powers of 1000) and KiB, MiB, GiB and TiB (powers of 1024);
// a number without a unit is bytes. The number may have a fraction ("1.5GB")
// if the result is a whole number of bytes. Spaces around the number and the
// unit are ignored. The result must be greater than zero and fit in a uint64.
func ParseMemory(s string) (uint64, error) {
	fail := func(why string) (uint64, error) {
		return 0, fmt.Errorf("invalid memory %q: %s", s, why)
	}
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	if num == "" || strings.Count(num, ".") > 1 || num[0] == '.' || num[len(num)-1] == '.' {
		return fail("want a number followed by a unit, such as 512MB or 1GiB")
	}
	scale, ok := map[string]int64{
		"": 1, "B": 1,
		"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40,
	}[unit]
	if !ok {
		return fail("unknown unit; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB")
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return fail("not a number")
	}
	r.Mul(r, new(big.Rat).SetInt64(scale))
	switch {
	case !r.IsInt():
		return fail("not a whole number of bytes")
	case r.Sign() <= 0:
		return fail("must be greater than zero")
	case !r.Num().IsUint64():
		return fail("too large")
	}
	return r.Num().Uint64(), nil
}

// ParseTimeout parses a duration such as "300s", "1.5s", "2m", "500ms" or
// "1h30m" (the syntax of time.ParseDuration, a unit on every number). It
// must be greater than zero.
func ParseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		return 0, fmt.Errorf("invalid timeout %q: want a number with a unit, such as 300s, 1.5s, 2m or 500ms", s)
	case d <= 0:
		return 0, fmt.Errorf("invalid timeout %q: must be greater than zero", s)
	}
	return d, nil
}
