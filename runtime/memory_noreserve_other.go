//go:build darwin || freebsd

package runtime

const mapNoReserve = 0
